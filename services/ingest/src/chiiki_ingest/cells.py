"""From e-Stat pages to normalised cells: one compact row per VALUE.

A row is ``(code per dimension..., value, mark, unit)``: the codes in the order of the table's
CLASS_OBJ, the value as the decimal text e-Stat wrote (``None`` when the source has a mark
instead), the mark as e-Stat wrote it, and the unit from the VALUE or its CLASS item. That is
exactly a cell of the bus contract's ``stats.apply_batch``. Per-cell checks (``quality``) run
while the rows are built, so a page is read once and then dropped: memory holds the rows, not
the pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import orjson

from chiiki_ingest.estat import Dimension, StatsDataPage, TableInfo, parse_stats_data
from chiiki_ingest.estat.normalise import CellBuilder
from chiiki_ingest.quality import Check, Layout, Report, Row
from chiiki_ingest.value_rows import RowReader


@cache
def known_area_codes() -> frozenset[str]:
    """The platform's regions (see reference/PROVENANCE.md)."""
    text = (files("chiiki_ingest") / "reference" / "area_codes.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def parse_page(body: bytes, known_dimensions: tuple[Dimension, ...] = ()) -> StatsDataPage:
    """A stored getStatsData body, parsed by the e-Stat client's own normaliser."""
    document = orjson.loads(body)
    return parse_stats_data(document["GET_STATS_DATA"], known_dimensions)


@dataclass
class Content:
    """A run's normalised table: metadata from the first page, rows from every page."""

    layout: Layout
    dimensions: tuple[Dimension, ...]
    table: TableInfo | None
    total_number: int
    notes: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)


class Normaliser:
    """Builds ``Content`` page by page, reporting per-cell problems to ``report``."""

    def __init__(
        self,
        first: StatsDataPage,
        report: Report,
        *,
        area_dimension: str = "area",
        time_dimension: str = "time",
        known_regions: frozenset[str] | None = None,
    ) -> None:
        dimension_ids = tuple(d.id for d in first.dimensions)
        time = time_dimension if time_dimension in dimension_ids else None
        self.content = Content(
            layout=Layout(dimension_ids, time),
            dimensions=first.dimensions,
            table=first.table,
            total_number=first.total_number,
        )
        self._report = report
        self._codes = {d.id: {item.code: item.code for item in d.items} for d in first.dimensions}
        self._area = area_dimension if area_dimension in dimension_ids else None
        self._regions = known_regions if known_regions is not None else known_area_codes()
        self._units: dict[str, str] = {}

    @property
    def dimensions(self) -> tuple[Dimension, ...]:
        return self.content.dimensions

    def add_page(self, page: StatsDataPage) -> None:
        self.content.notes.update(page.notes)
        self._report.ran(Check.SHAPE, Check.UNKNOWN_CODE, Check.UNDECLARED_MARK)
        if self._area is not None:
            self._report.ran(Check.UNKNOWN_REGION)
        reader = RowReader(
            self.content.layout.dimensions,
            self._codes,
            page.dimensions,
            page.notes,
            area=self._area,
            regions=self._regions,
            units=self._units,
        )
        builder: CellBuilder | None = None
        rows = self.content.rows
        for value in page.values:
            row = reader.row(value)
            if row is None:  # something to report: the typed cell's path
                builder = builder or CellBuilder(page.dimensions, page.notes)
                cell = builder.build(value)
                row = self._row(cell.dimensions, cell)
            rows.append(row)

    def _row(self, codes: Any, cell: Any) -> Row:
        layout = self.content.layout
        if len(codes) != layout.width or any(d not in codes for d in layout.dimensions):
            self._report.add(Check.SHAPE, {"codes": dict(codes), "value": cell.raw})
        row: list[Any] = []
        for dimension in layout.dimensions:
            code = codes.get(dimension)
            known = self._codes[dimension].get(code) if code is not None else None
            if known is None:
                if code is not None:
                    sample = {"dimension": dimension, "code": code}
                    self._report.add(Check.UNKNOWN_CODE, sample)
                known = code
            row.append(known)
        if self._area is not None:
            area = codes.get(self._area)
            if area is not None and area not in self._regions:
                self._report.add(Check.UNKNOWN_REGION, {"area": area})
        if cell.undeclared_mark:
            self._report.add(Check.UNDECLARED_MARK, {**dict(codes), "value": cell.raw})
        unit = cell.unit
        if unit is not None:
            # Units repeat on every cell; one shared string each keeps the rows small.
            unit = self._units.setdefault(unit, unit)
        # The value as e-Stat wrote it ("142.0" stays "142.0"): stats keeps the text it serves.
        value = None if cell.value is None else cell.raw
        row.extend((value, cell.mark, unit))
        return tuple(row)


def normalise_pages(
    pages: Iterable[StatsDataPage], report: Report, **options: Any
) -> Content | None:
    """All pages through one ``Normaliser``; ``None`` when there are none."""
    normaliser: Normaliser | None = None
    for page in pages:
        if normaliser is None:
            normaliser = Normaliser(page, report, **options)
        normaliser.add_page(page)
    return normaliser.content if normaliser else None


def sort_rows(content: Content) -> None:
    """Sort by codes: the canonical order that the hash, the duplicate check and batches use."""
    width = content.layout.width
    try:
        content.rows.sort(key=lambda row: row[:width])
    except TypeError:  # a cell missing a dimension (already reported as `shape`)
        content.rows.sort(key=lambda row: tuple("" if c is None else c for c in row[:width]))
