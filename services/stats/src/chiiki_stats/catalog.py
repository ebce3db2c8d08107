"""The reference data in memory: the indicator catalog and the region list.

Both are small (51 indicators, 4,086 regions) and change only with a deploy, so each process
holds one copy, read from the database after ``reference.ensure_reference_data`` loaded it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from graphlib import CycleError, TopologicalSorter
from typing import TYPE_CHECKING, Any

from chiiki_stats.formats.base import Unit

if TYPE_CHECKING:
    from chiiki_stats.services.boundaries import Boundary

# Indicators counted in these units add up over areas: a nation's value is the sum of its
# prefectures' values. Rates, shares, prices, temperatures and per-household amounts do not.
ADDITIVE_UNITS = frozenset({"人", "件", "施設", "戸", "人泊", "世帯", "km²"})
FORMULA_OPS = frozenset({"ratio", "difference", "sum"})
NATION = "00000"
LEVELS = ("nation", "prefecture", "municipality", "ward", "other")


@dataclass(frozen=True, slots=True)
class Source:
    priority: int
    dataset_id: str | None = None
    series: Mapping[str, str] | None = None
    scale: Decimal | None = None
    label: str | None = None
    published_unit: str | None = None
    formula: Mapping[str, Any] | None = None

    @property
    def is_derived(self) -> bool:
        return self.formula is not None

    @property
    def operands(self) -> tuple[str, ...]:
        if self.formula is None:
            return ()
        op = self.formula["op"]
        if op == "ratio":
            return (self.formula["numerator"], self.formula["denominator"])
        if op == "difference":
            return (self.formula["minuend"], self.formula["subtrahend"])
        return tuple(self.formula["terms"])

    def describe(self) -> dict[str, Any]:
        if self.formula is not None:
            return {"priority": self.priority, "derived": dict(self.formula)}
        described: dict[str, Any] = {
            "priority": self.priority,
            "dataset": self.dataset_id,
            "series": dict(self.series or {}),
            "label": self.label,
            "published_unit": self.published_unit,
        }
        if self.scale is not None:
            described["scale"] = float(self.scale)
        return described


@dataclass(frozen=True, slots=True)
class IndicatorDef:
    code: str
    name_ja: str
    name_en: str
    category: str
    unit: str
    unit_en: str
    definition: str
    higher_is_better: bool | None
    sources: tuple[Source, ...]

    @property
    def additive(self) -> bool:
        return self.unit in ADDITIVE_UNITS

    @property
    def units(self) -> Unit:
        return Unit(self.unit, self.unit_en)

    def summary(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_ja": self.name_ja,
            "name_en": self.name_en,
            "category": self.category,
            "unit": self.unit,
            "unit_en": self.unit_en,
            "higher_is_better": self.higher_is_better,
        }


class CatalogError(ValueError):
    pass


@dataclass(frozen=True)
class Catalog:
    indicators: Mapping[str, IndicatorDef]
    _order: tuple[str, ...] = field(default=())

    @classmethod
    def build(cls, indicators: Sequence[IndicatorDef]) -> Catalog:
        by_code = {indicator.code: indicator for indicator in indicators}
        graph: dict[str, set[str]] = {}
        for indicator in indicators:
            graph[indicator.code] = set()
            for source in indicator.sources:
                if source.formula is not None and source.formula.get("op") not in FORMULA_OPS:
                    raise CatalogError(f"{indicator.code}: unknown formula {source.formula}")
                for operand in source.operands:
                    if operand not in by_code:
                        raise CatalogError(f"{indicator.code}: unknown operand {operand}")
                    graph[indicator.code].add(operand)
        try:
            order = tuple(TopologicalSorter(graph).static_order())
        except CycleError as exc:
            raise CatalogError(f"formulas form a cycle: {exc.args[1]}") from exc
        return cls(by_code, order)

    def __contains__(self, code: object) -> bool:
        return code in self.indicators

    def __getitem__(self, code: str) -> IndicatorDef:
        return self.indicators[code]

    def __iter__(self) -> Iterator[IndicatorDef]:
        return iter(self.indicators.values())

    def closure(self, codes: Iterable[str]) -> list[str]:
        """``codes`` and every indicator their formulas need, operands before dependents."""
        needed: set[str] = set()
        stack = list(codes)
        while stack:
            code = stack.pop()
            if code in needed:
                continue
            needed.add(code)
            for source in self.indicators[code].sources:
                stack.extend(source.operands)
        return [code for code in self._order if code in needed]

    def datasets_for(self, codes: Iterable[str]) -> list[str]:
        """The datasets whose versions the values of ``codes`` depend on."""
        found = {
            source.dataset_id
            for code in self.closure(codes)
            for source in self.indicators[code].sources
            if source.dataset_id
        }
        return sorted(found)

    def indicators_using(self, dataset_id: str) -> list[str]:
        """Indicators whose values change when ``dataset_id`` changes, directly or by formula."""
        return [
            indicator.code
            for indicator in self
            if dataset_id in self.datasets_for([indicator.code])
        ]


@dataclass(frozen=True, slots=True)
class RegionInfo:
    code: str
    level: str
    parent_code: str | None
    prefecture_code: str | None
    name_ja: str
    name_kana: str | None
    name_en: str | None
    estat_level: str | None
    area_km2: float | None
    lat: float | None
    lng: float | None
    position: int

    def summary(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "level": self.level,
            "name_ja": self.name_ja,
            "name_en": self.name_en,
        }

    def describe(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "level": self.level,
            "parent_code": self.parent_code,
            "prefecture_code": self.prefecture_code,
            "name_ja": self.name_ja,
            "name_kana": self.name_kana,
            "name_en": self.name_en,
            "estat_level": self.estat_level,
            "area_km2": self.area_km2,
            "lat": self.lat,
            "lng": self.lng,
        }


class RegionIndex:
    def __init__(self, regions: Iterable[RegionInfo]) -> None:
        ordered = sorted(regions, key=lambda region: region.position)
        self.by_code = {region.code: region for region in ordered}
        self.by_level: dict[str, list[RegionInfo]] = {level: [] for level in LEVELS}
        self.children: dict[str, list[RegionInfo]] = {}
        for region in ordered:
            self.by_level[region.level].append(region)
            if region.parent_code:
                self.children.setdefault(region.parent_code, []).append(region)

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    def __getitem__(self, code: str) -> RegionInfo:
        return self.by_code[code]

    def __len__(self) -> int:
        return len(self.by_code)

    def get(self, code: str) -> RegionInfo | None:
        return self.by_code.get(code)

    def at_level(self, level: str, within: str | None = None) -> list[RegionInfo]:
        """Regions of ``level`` in e-Stat order, optionally only those inside ``within``."""
        regions = self.by_level.get(level, [])
        if within is None or within == NATION:
            return list(regions)
        return [region for region in regions if self.is_within(region, within)]

    def is_within(self, region: RegionInfo, ancestor: str) -> bool:
        if ancestor == NATION:
            return True
        if region.prefecture_code == ancestor:
            return True
        parent = region.parent_code
        while parent:
            if parent == ancestor:
                return True
            above = self.by_code.get(parent)
            parent = above.parent_code if above else None
        return False


@dataclass(frozen=True)
class Reference:
    """What every request reads: the catalog, the regions, the boundaries of the levels with a
    map, and the hash that versions them all."""

    catalog: Catalog
    regions: RegionIndex
    content_hash: str
    boundaries: Mapping[str, Boundary] = field(default_factory=dict)
