"""Indicator values for regions and years, from the observations and the catalog.

For one indicator, region and exact period (``FY2020``, ``2020``...) the candidates are the
values of each of its sources: a published series (times ``scale``) or a formula evaluated on the
operands' values for the same region and exact period. The best candidate wins: a number over a
missing value, then the source with the lower priority number. For the nation, an indicator
counted in additive units (people, facilities, cases...) that the nation lacks is the sum of the
47 prefectures' published values, when all 47 have one for that source and period; such a sum
ranks after every published national value and is marked ``sum_of_prefectures``.

Queries ask for years: within a year the best candidate across its calendar and fiscal year wins
the same way, so a series mixes census years (calendar) and SSDSE years (fiscal) where each is
what the catalog prefers, and every value says which period and source it comes from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from operator import attrgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats import published, repository
from chiiki_stats.catalog import NATION, Catalog, RegionIndex, Source
from chiiki_stats.cells import DERIVED, PUBLISHED, SUMMED, Cell
from chiiki_stats.columns import value_of
from chiiki_stats.periods import ANNUAL_KINDS, Period, PeriodKind, YearSpan, stored_period
from chiiki_stats.repository import DatasetState

_rank_key = attrgetter("rank_key")

# indicator -> region -> exact period -> best cell
Cells = dict[str, dict[str, dict[Period, Cell]]]
# indicator -> region -> year -> best cell of that year
Yearly = dict[str, dict[str, dict[int, Cell]]]


def number(value: float | None) -> float | int | None:
    """A value as JSON shows it: integral values as integers, others to 12 significant digits
    (derived ratios carry no meaningful digits beyond that)."""
    if value is None or not math.isfinite(value):
        return None
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return float(f"{value:.12g}")


class Evaluator:
    """``datasets``: the versions of the request's snapshot. Given, published values come from
    the cells each process holds per version (``chiiki_stats.published``); else from SQL."""

    def __init__(
        self,
        catalog: Catalog,
        regions: RegionIndex,
        datasets: Mapping[str, DatasetState] | None = None,
    ) -> None:
        self.catalog = catalog
        self.regions = regions
        self.datasets = datasets

    async def cells(
        self,
        session: AsyncSession,
        codes: Sequence[str],
        region_codes: Iterable[str],
        span: YearSpan,
    ) -> Cells:
        wanted = list(dict.fromkeys(region_codes))
        wanted_set = set(wanted)
        closure = self.catalog.closure(codes)
        prefectures = [region.code for region in self.regions.at_level("prefecture")]
        summing = NATION in wanted
        fetch = self._fetched(wanted)
        direct = self._direct(closure)
        held = await self._published(session, direct, fetch, span) if direct else {}

        results: Cells = {}
        for code in closure:
            indicator = self.catalog[code]
            candidates: dict[tuple[str, Period], list[Cell]] = {
                key: list(found)
                for key, found in held.get(code, {}).items()
                if key[0] in wanted_set
            }
            if summing and indicator.additive:
                for period, cell in self._sums(held.get(code, {}), prefectures).items():
                    candidates.setdefault((NATION, period), []).append(cell)
            for source in indicator.sources:
                if source.is_derived:
                    for key, cell in self._derive(source, results, wanted).items():
                        candidates.setdefault(key, []).append(cell)
            chosen: dict[str, dict[Period, Cell]] = {}
            for (region, period), found in candidates.items():
                best = found[0] if len(found) == 1 else min(found, key=_rank_key)
                chosen.setdefault(region, {})[period] = best
            results[code] = chosen
        return {code: results.get(code, {}) for code in codes}

    async def hold(
        self,
        session: AsyncSession,
        codes: Sequence[str],
        region_codes: Iterable[str],
        span: YearSpan,
    ) -> None:
        """Loads into this process's memory the published values ``cells`` would read, without
        making cells: evaluating the codes one at a time then reads nothing more."""
        fetch = self._fetched(list(dict.fromkeys(region_codes)))
        direct = self._direct(self.catalog.closure(codes))
        if self.datasets is None or not span.kinds <= ANNUAL_KINDS or not direct:
            return
        levels = published.held_levels(self.regions, fetch)
        await published.slices(
            session, self.catalog, self.regions, direct, levels, span, self.datasets
        )

    def _fetched(self, wanted: list[str]) -> list[str]:
        """The regions whose published values ``wanted`` needs: the prefectures too for the
        nation's sums."""
        if NATION not in wanted:
            return wanted
        prefectures = [region.code for region in self.regions.at_level("prefecture")]
        return list(dict.fromkeys([*wanted, *prefectures]))

    def _direct(self, closure: Iterable[str]) -> list[str]:
        """The indicators of ``closure`` with a published source."""
        return [
            code for code in closure if any(not s.is_derived for s in self.catalog[code].sources)
        ]

    async def _published(
        self, session: AsyncSession, direct: Sequence[str], fetch: Sequence[str], span: YearSpan
    ) -> dict[str, dict[tuple[str, Period], list[Cell]]]:
        """indicator -> (region, period) -> candidates from published series."""
        if self.datasets is None or not span.kinds <= ANNUAL_KINDS:
            return _candidates_of_rows(
                await repository.indicator_rows(session, direct, fetch, span)
            )
        levels = published.held_levels(self.regions, fetch)
        held = await published.slices(
            session, self.catalog, self.regions, direct, levels, span, self.datasets
        )
        found = {code: _candidates_in(held[code], fetch, span) for code in direct}
        rest = [
            code
            for code in fetch
            if code not in self.regions or self.regions[code].level not in levels
        ]
        if rest:
            rows = await repository.indicator_rows(session, direct, rest, span)
            for code, candidates in _candidates_of_rows(rows).items():
                found[code].update(candidates)
        return found

    def _sums(
        self, published: Mapping[tuple[str, Period], list[Cell]], prefectures: Sequence[str]
    ) -> dict[Period, Cell]:
        """The nation as the sum of all 47 prefectures, per source and period."""
        totals: dict[tuple[int, Period], list[Cell]] = {}
        members = set(prefectures)
        for (region, period), found in published.items():
            if region not in members:
                continue
            for cell in found:
                if cell.value is not None:
                    totals.setdefault((cell.priority, period), []).append(cell)
        sums: dict[Period, Cell] = {}
        for (priority, period), cells in totals.items():
            if len(cells) != len(prefectures):
                continue
            cell = Cell(
                value=math.fsum(c.value for c in cells if c.value is not None),
                mark=None,
                period=period,
                time_code=cells[0].time_code,
                sources=cells[0].sources,
                method=SUMMED,
                priority=priority,
                summed=True,
            )
            if period not in sums or cell.rank_key < sums[period].rank_key:
                sums[period] = cell
        return sums

    def _derive(
        self, source: Source, results: Cells, regions: Sequence[str]
    ) -> dict[tuple[str, Period], Cell]:
        formula = source.formula or {}
        operands = [results.get(code, {}) for code in source.operands]
        derived: dict[tuple[str, Period], Cell] = {}
        for region in regions:
            per_operand = [operand.get(region, {}) for operand in operands]
            periods = set(per_operand[0]).intersection(*per_operand[1:]) if per_operand else set()
            for period in periods:
                cells = [values[period] for values in per_operand]
                derived[(region, period)] = _apply(formula, source.priority, period, cells)
        return derived


def _candidates_of_rows(rows: Iterable[Any]) -> dict[str, dict[tuple[str, Period], list[Cell]]]:
    found: dict[str, dict[tuple[str, Period], list[Cell]]] = {}
    for row in rows:
        period = stored_period(row.period_kind, row.period_year, row.period_sub)
        cell = Cell(
            value_of(row),
            row.mark,
            period,
            row.time_code,
            (row.dataset_id,),
            PUBLISHED,
            row.priority,
        )
        found.setdefault(row.indicator_code, {}).setdefault((row.region_code, period), []).append(
            cell
        )
    return found


def _candidates_in(
    held: Sequence[published.Held], fetch: Sequence[str], span: YearSpan
) -> dict[tuple[str, Period], list[Cell]]:
    """The held candidates of ``fetch`` in ``span``, as cells."""
    found: dict[tuple[str, Period], list[Cell]] = {}
    for level in held:
        years = sorted(year for year in level.columns if span.first <= year <= span.last)
        columns = [
            column
            for year in years
            for column in level.columns[year]
            if column.period.kind in span.kinds
        ]
        if not columns:
            continue
        for region in fetch:
            place = level.positions.get(region)
            if place is None:
                continue
            for column in columns:
                cell = column.cell(place)
                if cell is not None:
                    found.setdefault((region, column.period), []).append(cell)
    return found


def _apply(formula: Mapping[str, Any], priority: int, period: Period, cells: list[Cell]) -> Cell:
    sources = tuple(sorted({name for cell in cells for name in cell.sources}))
    summed = any(cell.summed for cell in cells)
    missing = next((cell for cell in cells if cell.value is None), None)
    value: float | None = None
    if missing is None:
        values = [cell.value for cell in cells if cell.value is not None]
        op = formula["op"]
        if op == "ratio":
            scale = float(Decimal(str(formula.get("scale", 1))))
            value = values[0] / values[1] * scale if values[1] != 0 else None
        elif op == "difference":
            value = values[0] - values[1]
        else:
            value = math.fsum(values)
    return Cell(
        value=value,
        mark=missing.mark if missing else None,
        period=period,
        time_code=cells[0].time_code,
        sources=sources,
        method=DERIVED,
        priority=priority,
        summed=summed,
    )


def by_year(cells: Cells) -> Yearly:
    """Per indicator and region, the best cell of each year."""
    yearly: Yearly = {}
    for code, regions in cells.items():
        per_region: dict[str, dict[int, Cell]] = {}
        for region, periods in regions.items():
            best: dict[int, Cell] = {}
            for period, cell in periods.items():
                current = best.get(period.year)
                if current is None or cell.rank_key < current.rank_key:
                    best[period.year] = cell
            per_region[region] = dict(sorted(best.items()))
        yearly[code] = per_region
    return yearly


def point(
    cell: Cell | None, notes: Mapping[str, Mapping[str, str]], year: int | None = None
) -> dict[str, Any]:
    """A value as the API shows it, with where it comes from."""
    if cell is None:
        return {
            "year": year,
            "period": None,
            "time": None,
            "value": None,
            "mark": None,
            "mark_meaning": None,
            "method": None,
            "sources": [],
        }
    meaning = None
    if cell.mark is not None:
        meaning = next(
            (
                notes[source][cell.mark]
                for source in cell.sources
                if cell.mark in notes.get(source, {})
            ),
            None,
        )
    return {
        "year": cell.period.year,
        "period": str(cell.period),
        "time": cell.time_code,
        "value": number(cell.value),
        "mark": cell.mark,
        "mark_meaning": meaning,
        "method": cell.method,
        "sources": list(cell.sources),
    }


def ranks(values: Mapping[str, float | None], *, descending: bool = True) -> dict[str, int | None]:
    """Competition ranks (1, 2, 2, 4): 1 is the largest value unless ``descending`` is False.
    Regions without a value have no rank."""
    present = [(code, value) for code, value in values.items() if value is not None]
    ordered = sorted(present, key=lambda item: -item[1] if descending else item[1])
    result: dict[str, int | None] = dict.fromkeys(values)
    previous: float | None = None
    rank = 0
    for position, (code, value) in enumerate(ordered, start=1):
        if value != previous:
            rank = position
            previous = value
        result[code] = rank
    return result


async def yearly_values(
    session: AsyncSession,
    evaluator: Evaluator,
    codes: Sequence[str],
    region_codes: Sequence[str],
    span: YearSpan,
) -> Yearly:
    cells = await evaluator.cells(session, codes, region_codes, span)
    yearly = by_year(cells)
    return {
        code: {
            region: {year: cell for year, cell in years.items() if span.first <= year <= span.last}
            for region, years in regions.items()
        }
        for code, regions in yearly.items()
    }


async def cross_section(
    session: AsyncSession,
    evaluator: Evaluator,
    codes: Sequence[str],
    region_codes: Sequence[str],
    year: int,
    kinds: frozenset[PeriodKind] | None = None,
) -> dict[str, dict[str, Cell | None]]:
    """Per indicator, each region's best cell of ``year`` (``None`` where there is none)."""
    span = YearSpan(year, year, kinds) if kinds else YearSpan(year, year)
    yearly = await yearly_values(session, evaluator, codes, region_codes, span)
    return {
        code: {region: yearly[code].get(region, {}).get(year) for region in region_codes}
        for code in codes
    }


async def latest_years(
    session: AsyncSession,
    evaluator: Evaluator,
    codes: Sequence[str],
    region_codes: Sequence[str],
    kinds: frozenset[PeriodKind] | None = None,
) -> dict[str, int | None]:
    """Per indicator, the last year in which it has a value for at least one of the regions."""
    catalog = evaluator.catalog
    direct = [
        name
        for name in catalog.closure(codes)
        if any(not source.is_derived for source in catalog[name].sources)
    ]
    lookup = list(region_codes)
    if NATION in lookup:
        lookup += [region.code for region in evaluator.regions.at_level("prefecture")]
    first, last = await repository.year_bounds(session, direct, lookup)
    found: dict[str, int | None] = dict.fromkeys(codes)
    if first is None or last is None:
        return found
    # No value can be later than ``last``, and most indicators have one in it or close to it:
    # look further back only if needed (each step evaluates every region for every year in it).
    steps = [(last, last), (max(first, last - 10), last - 1), (first, last - 11)]
    for low, high in steps:
        missing = [code for code in codes if found[code] is None]
        if low > high or not missing:
            continue
        span = YearSpan(low, high, kinds) if kinds else YearSpan(low, high)
        # One indicator at a time (their published values read at once): every indicator's
        # cells over every municipality at once peaked at about 10 MB, which a process then
        # kept (freed, but not given back).
        await evaluator.hold(session, missing, region_codes, span)
        for code in missing:
            yearly = await yearly_values(session, evaluator, [code], region_codes, span)
            years = [
                year
                for regions in yearly[code].values()
                for year, cell in regions.items()
                if cell.value is not None
            ]
            if years:
                found[code] = max(years)
        if all(year is not None for year in found.values()):
            break
    return found


async def latest_year(
    session: AsyncSession,
    evaluator: Evaluator,
    code: str,
    region_codes: Sequence[str],
    kinds: frozenset[PeriodKind] | None = None,
) -> int | None:
    """The last year in which ``code`` has a value for at least one of ``region_codes``."""
    return (await latest_years(session, evaluator, [code], region_codes, kinds))[code]


def sources_in(values: object) -> set[str]:
    """The datasets the values in ``values`` (cells in nested dicts) come from, for their
    attribution."""
    if isinstance(values, Cell):
        return set(values.sources)
    if isinstance(values, Mapping):
        return set().union(*(sources_in(value) for value in values.values()))
    return set()
