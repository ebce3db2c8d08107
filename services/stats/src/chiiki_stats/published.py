"""Published values held per process, per indicator, region level and dataset versions.

An uncached answer used to read its observations again (one SQL row, one ``Cell`` per value),
even when the same indicator and regions had been read a moment before for another query: three
prefectures x two indicators over every year was 50-85 ms of CPU, most of it turning rows into
cells. The published values of an indicator at one level depend only on the versions (number and
content hash) of the datasets it reads, so each process loads them once per version, for every
region of the level, one query per run of years not loaded yet. A new version is another key,
never a stale value.

They are held as columns (``chiiki_stats.columns``), not as one ``Cell`` per value in a dict per
region and year: about 700 bytes a value that way, which made a primed process 30 MB larger.
A reader gets ``Cell``s made for the regions and years it asks for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats import repository
from chiiki_stats.catalog import Catalog, RegionIndex
from chiiki_stats.columns import Builder, Column
from chiiki_stats.periods import ANNUAL_KINDS, YearSpan
from chiiki_stats.repository import DatasetState

# At most this many values held (a few MB as columns), then everything is dropped: a new
# version's values are asked for, the old ones' never again.
MAX_CELLS = 400_000
# A level is held whole when a request asks for at least a quarter of its regions (a cross-
# section, a ranking, the prefectures a national sum adds up); a few regions are read as asked:
# holding every year of a level costs more than one region's series (0.1-0.2 s for the
# prefectures' 15 population indicators).
SHARE_HELD = 4
# Rows read from the database at a time while loading.
PART_ROWS = 2_000

Versions = tuple[tuple[str, int, str], ...]
Key = tuple[str, str, Versions]  # indicator, level, versions of its datasets


@dataclass
class Held:
    """One indicator's published values at one level, for the years in ``years``: per year,
    its columns (one per exact period and source) over ``positions``."""

    positions: Mapping[str, int]
    columns: dict[int, list[Column]] = field(default_factory=dict)
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

    def add(self, columns: Iterable[Column], low: int, high: int) -> None:
        """The columns of the years ``low``-``high``, except years another request loaded
        meanwhile."""
        for column in columns:
            if column.period.year not in self.years:
                self.columns.setdefault(column.period.year, []).append(column)
        self.years.update(range(low, high + 1))


_held: dict[Key, Held] = {}
_count = [0]
_positions: dict[tuple[str, ...], dict[str, int]] = {}


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


def _positions_at(regions: RegionIndex, level: str) -> dict[str, int]:
    """Each region of ``level`` and its place in a column: one map shared by the level's
    columns."""
    members = tuple(region.code for region in regions.at_level(level))
    if members not in _positions:
        _positions[members] = {code: place for place, code in enumerate(members)}
    return _positions[members]


def clear() -> None:
    """Forget every held value (tests that count the statements a computation reads)."""
    _held.clear()
    _positions.clear()
    _count[0] = 0


def _entry(key: Key, positions: Mapping[str, int]) -> Held:
    if _count[0] > MAX_CELLS:
        clear()
    return _held.setdefault(key, Held(positions))


async def _load(
    session: AsyncSession,
    entries: Mapping[str, Held],
    members: Sequence[str],
    span: YearSpan,
) -> None:
    """Loads the years of ``span`` the entries lack: one query per missing range."""
    runs = {code: held.missing(span) for code, held in entries.items()}
    for low, high in sorted({run for missing in runs.values() for run in missing}):
        codes = [code for code, missing in runs.items() if (low, high) in missing]
        built = {code: Builder(entries[code].positions) for code in codes}
        span_read = YearSpan(low, high, ANNUAL_KINDS)
        parts = repository.indicator_row_parts(session, codes, members, span_read, PART_ROWS)
        async for part in parts:
            for row in part:
                built[row.indicator_code].add(row)
        for code, builder in built.items():
            entries[code].add(builder.columns(), low, high)
            _count[0] += builder.rows


async def slices(
    session: AsyncSession,
    catalog: Catalog,
    regions: RegionIndex,
    codes: Sequence[str],
    levels: Sequence[str],
    span: YearSpan,
    datasets: Mapping[str, DatasetState],
) -> dict[str, list[Held]]:
    """Per indicator, its held values at each of ``levels``, with ``span``'s years loaded for
    these dataset versions (only the annual periods are held)."""
    found: dict[str, list[Held]] = {code: [] for code in codes}
    for level in levels:
        positions = _positions_at(regions, level)
        entries = {
            code: _entry((code, level, _versions(catalog, code, datasets)), positions)
            for code in codes
        }
        await _load(session, entries, list(positions), span)
        for code, held in entries.items():
            found[code].append(held)
    return found
