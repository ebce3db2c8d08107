"""The latest year of each indicator, remembered per dataset version.

A livability slider change without ``period`` used to work out the default year again for every
weight combination (0.2-0.5 s). An indicator's latest year over a set of regions depends only on
the versions of the datasets it reads, so each process remembers it under those versions: the
first reader of a version pays once per indicator and level, and a new version (another key) is
worked out afresh.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats.catalog import Catalog
from chiiki_stats.periods import PeriodKind
from chiiki_stats.repository import DatasetState
from chiiki_stats.values import Evaluator, latest_years

MAX_ENTRIES = 4096

Key = tuple[str, tuple[str, ...], frozenset[PeriodKind] | None, tuple[tuple[str, int, str], ...]]
_known: dict[Key, int | None] = {}


def _key(
    evaluator: Evaluator,
    code: str,
    region_codes: Sequence[str],
    kinds: frozenset[PeriodKind] | None,
    datasets: Mapping[str, DatasetState],
) -> Key:
    return code, tuple(region_codes), kinds, versions_read(evaluator.catalog, code, datasets)


def versions_read(
    catalog: Catalog, code: str, datasets: Mapping[str, DatasetState]
) -> tuple[tuple[str, int, str], ...]:
    """The versions (number and content hash) of the datasets ``code`` is computed from: what a
    value remembered for ``code`` depends on."""
    used = catalog.datasets_for([code])
    return tuple((d, datasets[d].version, datasets[d].content_hash) for d in used if d in datasets)


async def latest_years_of(
    session: AsyncSession,
    evaluator: Evaluator,
    codes: Sequence[str],
    region_codes: Sequence[str],
    datasets: Mapping[str, DatasetState],
    kinds: frozenset[PeriodKind] | None = None,
) -> dict[str, int | None]:
    """``values.latest_years``, read from the database only for what is not remembered for
    these dataset versions (``datasets``: the versions of the request's snapshot)."""
    keys = {code: _key(evaluator, code, region_codes, kinds, datasets) for code in codes}
    missing = [code for code in codes if keys[code] not in _known]
    if missing:
        found = await latest_years(session, evaluator, missing, region_codes, kinds)
        if len(_known) + len(found) > MAX_ENTRIES:
            _known.clear()  # old versions' entries are never asked for again
        for code, year in found.items():
            _known[keys[code]] = year
    return {code: _known[keys[code]] for code in codes}
