"""Load the curated catalog (catalog.yaml beside this module) into typed definitions."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")
OPERATIONS = ("ratio", "difference", "sum")


@dataclass(frozen=True)
class Series:
    """A series of a recorded table: an SSDSE column by name, or a cat01/tab code."""

    dataset: str
    name: str | None = None
    cat01: str | None = None
    tab: str | None = None
    scale: float | None = None


@dataclass(frozen=True)
class Derived:
    op: str
    operands: tuple[str, ...]
    scale: float | None = None


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    name_ja: str
    name_en: str
    category: str
    unit: str
    unit_en: str
    higher_is_better: bool | None
    definition: str
    sources: tuple[Series | Derived, ...]


@dataclass(frozen=True)
class Dataset:
    id: str
    title_ja: str
    attribution: str


def _source(raw: dict[str, Any]) -> Series | Derived:
    if "dataset" in raw:
        return Series(**raw)
    (op,) = [key for key in raw if key in OPERATIONS]
    return Derived(op, tuple(raw[op]), raw.get("scale"))


def _indicator(raw: dict[str, Any]) -> IndicatorDef:
    sources = tuple(_source(source) for source in raw["sources"])
    return IndicatorDef(**{**raw, "sources": sources})


def load(path: Path = CATALOG_FILE) -> tuple[list[Dataset], list[IndicatorDef]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    datasets = [Dataset(**entry) for entry in raw["datasets"]]
    return datasets, [_indicator(entry) for entry in raw["indicators"]]
