"""Published values held per process, per indicator, region level and dataset versions.

An uncached answer used to read its observations again (one SQL row, one ``Cell`` per value),
even when the same indicator and regions had been read a moment before for another query: three
prefectures x two indicators over every year was 50-85 ms of CPU, most of it turning rows into
cells. The published values of an indicator at one level depend only on the versions (number and
content hash) of the datasets it reads, so each process loads them once per version, for every
region of the level, one query per run of years not loaded yet, and keeps the cells (frozen,
shared: callers only read them). A new version is another key, never a stale value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats import repository
from chiiki_stats.catalog import Catalog, RegionIndex
from chiiki_stats.cells import PUBLISHED, Cell
from chiiki_stats.periods import ANNUAL_KINDS, YearSpan, stored_period
from chiiki_stats.repository import DatasetState

# At most this many cells held (roughly 60 MB), then everything is dropped: a new version's
# values are asked for, the old ones' never again.
MAX_CELLS = 400_000
# A level is held whole when a request asks for at least a quarter of its regions (a cross-
# section, a ranking, the prefectures a national sum adds up); a few regions are read as asked:
# holding every year of a level costs more than one region's series (0.1-0.2 s for the
# prefectures' 15 population indicators).
SHARE_HELD = 4

Versions = tuple[tuple[str, int, str], ...]
Key = tuple[str, str, Versions]  # indicator, level, versions of its datasets
# region -> year -> candidates of that year (calendar and fiscal), in the order read
Slice = dict[str, dict[int, list[Cell]]]


@dataclass
class Held:
    """One indicator's published cells at one level, for the years in ``years``."""

    regions: Slice = field(default_factory=dict)
    years: set[int] = field(default_factory=set)

    def missing(self, span: YearSpan) -> list[tuple[int, int]]:
        """The runs of ``span``'s years not loaded yet."""
        runs: list[tuple[int, int]] = []
        for year in span.years:
            if year in self.years:
                continue
            if runs and runs[-1][1] == year - 1:
                runs[-1] = (runs[-1][0], year)
            else:
                runs.append((year, year))
        return runs

    def add(self, rows: Iterable[Any], low: int, high: int) -> int:
        """The rows of the years ``low``-``high``, except years another request loaded
        meanwhile; how many cells were added."""
        added = 0
        for row in rows:
            if row.period_year in self.years:
                continue
            years = self.regions.setdefault(row.region_code, {})
            years.setdefault(row.period_year, []).append(_cell(row))
            added += 1
        self.years.update(range(low, high + 1))
        return added


_held: dict[Key, Held] = {}
_count = [0]


def held_levels(regions: RegionIndex, region_codes: Sequence[str]) -> list[str]:
    """The levels of ``region_codes`` worth holding whole."""
    asked: dict[str, int] = {}
    for code in region_codes:
        region = regions.get(code)
        if region is not None:
            asked[region.level] = asked.get(region.level, 0) + 1
    size = {level: len(regions.at_level(level)) for level in asked}
    return [level for level, count in asked.items() if SHARE_HELD * count >= size[level]]


def _versions(catalog: Catalog, code: str, datasets: Mapping[str, DatasetState]) -> Versions:
    used = catalog.datasets_for([code])
    return tuple((d, datasets[d].version, datasets[d].content_hash) for d in used if d in datasets)


def _cell(row: Any) -> Cell:
    value = None
    if row.value is not None:
        scaled: Decimal = row.value * row.scale if row.scale is not None else row.value
        value = float(scaled)
    period = stored_period(row.period_kind, row.period_year, row.period_sub)
    return Cell(value, row.mark, period, row.time_code, (row.dataset_id,), PUBLISHED, row.priority)


def clear() -> None:
    """Forget every held value (tests that count the statements a computation reads)."""
    _held.clear()
    _count[0] = 0


def _entry(key: Key) -> Held:
    if _count[0] > MAX_CELLS:
        clear()
    return _held.setdefault(key, Held())


async def _load(
    session: AsyncSession,
    entries: Mapping[str, Held],
    level: str,
    regions: RegionIndex,
    span: YearSpan,
) -> None:
    """Loads the years of ``span`` the entries lack: one query per missing range."""
    members = [region.code for region in regions.at_level(level)]
    runs = {code: held.missing(span) for code, held in entries.items()}
    for low, high in sorted({run for missing in runs.values() for run in missing}):
        codes = [code for code, missing in runs.items() if (low, high) in missing]
        rows = await repository.indicator_rows(
            session, codes, members, YearSpan(low, high, ANNUAL_KINDS)
        )
        per_code: dict[str, list[Any]] = {code: [] for code in codes}
        for row in rows:
            per_code[row.indicator_code].append(row)
        for code in codes:
            _count[0] += entries[code].add(per_code[code], low, high)


async def slices(
    session: AsyncSession,
    catalog: Catalog,
    regions: RegionIndex,
    codes: Sequence[str],
    levels: Sequence[str],
    span: YearSpan,
    datasets: Mapping[str, DatasetState],
) -> dict[str, list[Slice]]:
    """Per indicator, its held cells at each of ``levels``, with ``span``'s years loaded for
    these dataset versions (only the annual periods are held)."""
    found: dict[str, list[Slice]] = {code: [] for code in codes}
    for level in levels:
        entries = {
            code: _entry((code, level, _versions(catalog, code, datasets))) for code in codes
        }
        await _load(session, entries, level, regions, span)
        for code, held in entries.items():
            found[code].append(held.regions)
    return found
