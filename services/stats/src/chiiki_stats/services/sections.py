"""Cross-sections remembered per dataset version.

Every region of a level in one year (``values.cross_section``) is what the municipal answers
spend their time on: 0.2-0.5 s of CPU for one indicator over 1,741 municipalities, paid again for
each format, sort, language or statistic asked of the same cells. One indicator's cells depend
only on the versions of the datasets it reads, so each process remembers them under those
versions, as ``latest`` does for the latest years: the first reader (or the warmer, which renders
through the same routes) pays, every other answer built from them only renders. A new version is
another key, never a stale answer.

The cells are shared between requests: callers only read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats.cells import Cell
from chiiki_stats.periods import PeriodKind, YearSpan
from chiiki_stats.repository import DatasetState
from chiiki_stats.services.latest import versions_read
from chiiki_stats.values import Evaluator, cross_section

# At most this many region cells held (about 25 MB), then everything is dropped: a new version's
# answers are asked for, the old ones' never again.
MAX_CELLS = 100_000

Key = tuple[
    str, tuple[str, ...], int, frozenset[PeriodKind] | None, tuple[tuple[str, int, str], ...]
]
Section = dict[str, Cell | None]
_known: dict[Key, Section] = {}
_held = [0]


def _remember(key: Key, section: Section) -> None:
    if _held[0] + len(section) > MAX_CELLS:
        _known.clear()
        _held[0] = 0
    _known[key] = section
    _held[0] += len(section)


async def cross_section_of(
    session: AsyncSession,
    evaluator: Evaluator,
    codes: Sequence[str],
    region_codes: Sequence[str],
    year: int,
    datasets: Mapping[str, DatasetState],
    kinds: frozenset[PeriodKind] | None = None,
) -> dict[str, Section]:
    """``values.cross_section``, computed only for the indicators not remembered for these
    dataset versions (``datasets``: the versions of the request's snapshot)."""
    regions = tuple(region_codes)
    keys = {
        code: (code, regions, year, kinds, versions_read(evaluator.catalog, code, datasets))
        for code in codes
    }
    result = {code: _known[keys[code]] for code in codes if keys[code] in _known}
    missing = [code for code in codes if code not in result]
    if missing:
        span = YearSpan(year, year, kinds) if kinds else YearSpan(year, year)
        await evaluator.hold(session, missing, region_codes, span)
    for code in missing:  # one at a time: see ``values.latest_years``
        found = await cross_section(session, evaluator, [code], region_codes, year, kinds)
        result[code] = found[code]
        _remember(keys[code], found[code])
    return {code: result[code] for code in codes}
