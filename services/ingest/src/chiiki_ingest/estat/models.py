"""Typed, immutable views of e-Stat answers (frozen dataclasses; mappings are read-only).

Field names follow e-Stat's meaning, not its spelling: `TableInfo.title` is TITLE's text whether
e-Stat sent an object with `$` or a plain string, `ClassItem.level` is None where e-Stat sent `""`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Any

from chiiki_ingest.estat.periods import Period


def _empty() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class TableInfo:
    id: str
    title: str
    title_no: str | None = None
    stat_code: str | None = None
    stat_name: str | None = None
    gov_org_code: str | None = None
    gov_org: str | None = None
    statistics_name: str | None = None
    statistics_name_spec: Mapping[str, str] = field(default_factory=_empty)
    title_spec: Mapping[str, str] = field(default_factory=_empty)
    cycle: str | None = None
    # SURVEY_DATE as text: "202010", "201904-202003"; None where e-Stat sent 0.
    survey_date: str | None = None
    open_date: date | None = None
    updated_date: date | None = None
    small_area: int | None = None
    collect_area: str | None = None
    main_category: str | None = None
    sub_category: str | None = None
    overall_total_number: int | None = None
    description: str | None = None
    description_parts: Mapping[str, str] = field(default_factory=_empty)


@dataclass(frozen=True)
class ClassItem:
    code: str
    name: str
    level: int | None = None
    parent_code: str | None = None
    unit: str | None = None
    explanation: str | None = None


@dataclass(frozen=True)
class Dimension:
    """A CLASS_OBJ: `tab`, `time`, `area` or `cat01`..`cat15`, with its items in e-Stat's order."""

    id: str
    name: str
    items: tuple[ClassItem, ...]
    description: str | None = None

    @cached_property
    def by_code(self) -> Mapping[str, ClassItem]:
        return MappingProxyType({item.code: item for item in self.items})

    def item(self, code: str) -> ClassItem | None:
        return self.by_code.get(code)


@dataclass(frozen=True, slots=True)
class Cell:
    """One VALUE: a number, or a mark instead (never both).

    `mark` is the raw text when NOTE declares it (with its meaning), even when it looks like a
    number (e-Stat's "0.00" = less than the unit), or when it is not a number at all.
    `undeclared_mark` flags non-numeric text NOTE does not explain, so quality checks can stop
    it instead of it turning silently into a gap.
    """

    dimensions: Mapping[str, str]
    raw: str
    value: Decimal | None
    unit: str | None = None
    mark: str | None = None
    mark_meaning: str | None = None
    undeclared_mark: bool = False
    annotation: str | None = None
    period: Period | None = None

    def code(self, dimension: str) -> str | None:
        return self.dimensions.get(dimension)


@dataclass(frozen=True)
class StatsDataPage:
    """One getStatsData answer: a page of cells and where the next page starts.

    `values` are the page's VALUE objects as e-Stat sent them; `cells` are the typed cells,
    made from them on first use. Ingest's normaliser reads `values`: making the typed cells of
    a 100,000-cell page took about 1 s, several times its JSON parse (docs/performance.md).
    """

    stats_data_id: str
    status: int
    table: TableInfo | None
    dimensions: tuple[Dimension, ...]
    notes: Mapping[str, str]
    values: tuple[Mapping[str, Any], ...]
    total_number: int
    from_number: int | None = None
    to_number: int | None = None
    next_key: int | None = None

    @property
    def cell_count(self) -> int:
        return len(self.values)

    @cached_property
    def cells(self) -> tuple[Cell, ...]:
        from chiiki_ingest.estat.normalise import build_cells  # it imports this module

        return build_cells(self.dimensions, self.notes, self.values)

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)


@dataclass(frozen=True)
class MetaInfo:
    stats_data_id: str
    table: TableInfo
    dimensions: tuple[Dimension, ...]

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)


@dataclass(frozen=True)
class StatsList:
    """One getStatsList answer (empty, with `number` 0, for STATUS 1)."""

    status: int
    number: int
    tables: tuple[TableInfo, ...] = field(default_factory=tuple)
    from_number: int | None = None
    to_number: int | None = None
    next_key: int | None = None
