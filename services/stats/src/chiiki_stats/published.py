"""Published values held per process, per indicator, region level and dataset versions.

An uncached answer used to read its observations again (one SQL row, one ``Cell`` per value),
even when the same indicator and regions had been read a moment before for another query: three
prefectures x two indicators over every year was 50-85 ms of CPU, most of it turning rows into
cells. The published values of an indicator at one level depend only on the versions (number and
content hash) of the datasets it reads, so each process loads them once per version, for every
region of the level and every year, in one query, and keeps the cells (frozen, shared: callers
only read them). A new version is another key, never a stale value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats import repository
from chiiki_stats.catalog import Catalog, RegionIndex
from chiiki_stats.cells import PUBLISHED, Cell
from chiiki_stats.periods import ANNUAL_KINDS, MAX_YEAR, MIN_YEAR, YearSpan, stored_period
from chiiki_stats.repository import DatasetState

# At most this many cells held (roughly 60 MB), then everything is dropped: a new version's
# values are asked for, the old ones' never again.
MAX_CELLS = 400_000
EVERY_YEAR = YearSpan(MIN_YEAR, MAX_YEAR, ANNUAL_KINDS)

Versions = tuple[tuple[str, int, str], ...]
Key = tuple[str, str, Versions]  # indicator, level, versions of its datasets
# region -> year -> candidates of that year (calendar and fiscal), in the order read
Slice = dict[str, dict[int, list[Cell]]]
_held: dict[Key, Slice] = {}
_count = [0]


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


async def _load(
    session: AsyncSession, codes: Sequence[str], level: str, regions: RegionIndex
) -> dict[str, Slice]:
    members = [region.code for region in regions.at_level(level)]
    loaded: dict[str, Slice] = {code: {} for code in codes}
    for row in await repository.indicator_rows(session, codes, members, EVERY_YEAR):
        years = loaded[row.indicator_code].setdefault(row.region_code, {})
        years.setdefault(row.period_year, []).append(_cell(row))
    return loaded


def _remember(key: Key, found: Slice) -> None:
    size = sum(len(cells) for years in found.values() for cells in years.values())
    if _count[0] + size > MAX_CELLS:
        _held.clear()
        _count[0] = 0
    _held[key] = found
    _count[0] += size


def clear() -> None:
    """Forget every held value (tests that count the statements a computation reads)."""
    _held.clear()
    _count[0] = 0


async def slices(
    session: AsyncSession,
    catalog: Catalog,
    regions: RegionIndex,
    codes: Sequence[str],
    region_codes: Sequence[str],
    datasets: Mapping[str, DatasetState],
) -> dict[str, list[Slice]]:
    """Per indicator, the held slices of every level of ``region_codes``; loaded (one query per
    level) for those not held for these dataset versions."""
    levels = list(dict.fromkeys(regions[code].level for code in region_codes if code in regions))
    keys = {
        (code, level): (code, level, _versions(catalog, code, datasets))
        for code in codes
        for level in levels
    }
    found = {pair: _held[key] for pair, key in keys.items() if key in _held}
    for level in levels:
        missing = [code for code in codes if (code, level) not in found]
        if not missing:
            continue
        for code, loaded in (await _load(session, missing, level, regions)).items():
            found[(code, level)] = loaded
            _remember(keys[(code, level)], loaded)
    return {code: [found[(code, level)] for level in levels] for code in codes}
