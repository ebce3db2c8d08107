"""KPI cards: each headline indicator's latest value, its change against the previous value and
against five years earlier, the region's rank among its level, and a short sparkline."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats.catalog import IndicatorDef, Reference, RegionInfo
from chiiki_stats.cells import Cell
from chiiki_stats.formats import Result, Table, over_years
from chiiki_stats.periods import Period, YearSpan
from chiiki_stats.precision import charted
from chiiki_stats.repository import DatasetState
from chiiki_stats.services.latest import versions_read
from chiiki_stats.services.population import indicator_label
from chiiki_stats.values import Evaluator, number, point, ranks, sources_in, yearly_values

HEADLINE = (
    "population.total",
    "population.aged_65_plus_share",
    "population.aged_0_14_share",
    "vital.births",
    "vital.total_fertility_rate",
    "migration.net",
    "labour.job_openings_ratio",
    "health.hospitals_per_100k",
)
MAX_INDICATORS = 12
SPARKLINE_POINTS = 10
MAX_SPARKLINE_POINTS = 50
ALL_YEARS = YearSpan(1800, 2200)
RANKED_LEVELS = ("prefecture", "municipality", "ward")


@dataclass
class Card:
    indicator: IndicatorDef
    series: dict[int, Cell]  # year -> cell, oldest first
    rank: int | None
    ranked: int
    sparkline_points: int

    @property
    def latest(self) -> Cell | None:
        present = [cell for cell in self.series.values() if cell.value is not None]
        return present[-1] if present else None

    def _earlier(self, years_back: int | None) -> Cell | None:
        latest = self.latest
        if latest is None:
            return None
        if years_back is None:
            before = [
                cell
                for year, cell in self.series.items()
                if year < latest.period.year and cell.value is not None
            ]
            return before[-1] if before else None
        cell = self.series.get(latest.period.year - years_back)
        return cell if cell is not None and cell.value is not None else None

    def sparkline(self, lang: str) -> dict[str, Any]:
        """The last ``sparkline_points`` values as a Chart.js data object (one dataset), the
        card's own chart with no second request."""
        spark = dict(list(self.series.items())[-self.sparkline_points :])
        values = {year: charted(cell.value, self.indicator) for year, cell in spark.items()}
        label = indicator_label(self.indicator, lang)
        return over_years(list(spark), [(label, values, self.indicator.units)], lang).as_dict()

    def json(self, notes: Mapping[str, Mapping[str, str]], lang: str = "ja") -> dict[str, Any]:
        latest = self.latest
        previous = self._earlier(None)
        five = self._earlier(5)
        return {
            "indicator": self.indicator.summary(),
            "latest": point(latest, notes) if latest else None,
            "previous": point(previous, notes) if previous else None,
            "change": _change(latest, previous),
            "five_years_earlier": point(five, notes) if five else None,
            "change_5y": _change(latest, five),
            "rank": {"rank": self.rank, "of": self.ranked, "year": latest.period.year}
            if latest and self.rank is not None
            else None,
            "sparkline": self.sparkline(lang),
        }


def _change(latest: Cell | None, earlier: Cell | None) -> dict[str, Any] | None:
    if latest is None or earlier is None or latest.value is None or earlier.value is None:
        return None
    absolute = latest.value - earlier.value
    percent = absolute / abs(earlier.value) * 100 if earlier.value else None
    return {
        "absolute": number(absolute),
        "percent": None if percent is None else round(percent, 4),
        "from": str(earlier.period),
        "to": str(latest.period),
    }


@dataclass
class Kpis(Result):
    region: RegionInfo
    cards: list[Card]
    notes: Mapping[str, Mapping[str, str]]
    attribution: list[str]
    lang: str = "ja"
    name = "kpi"

    def json(self) -> dict[str, Any]:
        return {
            "region": self.region.summary(),
            "kpis": [card.json(self.notes, self.lang) for card in self.cards],
            "attribution": self.attribution,
        }

    def table(self) -> Table:
        columns = ["indicator", "unit", "year", "period", "value", "previous_period"]
        columns += ["change", "change_percent", "change_5y", "change_5y_percent", "rank", "of"]
        rows = []
        for card in self.cards:
            shown = card.json(self.notes)
            latest, change, change_5y = shown["latest"], shown["change"], shown["change_5y"]
            rows.append(
                [
                    card.indicator.code,
                    card.indicator.unit,
                    latest["year"] if latest else None,
                    latest["period"] if latest else None,
                    latest["value"] if latest else None,
                    change["from"] if change else None,
                    change["absolute"] if change else None,
                    change["percent"] if change else None,
                    change_5y["absolute"] if change_5y else None,
                    change_5y["percent"] if change_5y else None,
                    card.rank,
                    card.ranked if card.rank is not None else None,
                ]
            )
        return Table(columns, rows)


async def kpis(
    session: AsyncSession,
    reference: Reference,
    region: RegionInfo,
    codes: list[str],
    points: int,
    notes: Mapping[str, Mapping[str, str]],
    attribute: Callable[[set[str]], list[str]],
    datasets: Mapping[str, DatasetState],
    lang: str = "ja",
) -> Kpis:
    """The cards of ``codes`` for ``region``, ranked among the regions of its level
    (``datasets``: the versions of the request's snapshot, which the rankings are kept under).
    The cards' values are remembered per region, indicators and versions: another sparkline
    length or language of the same cards only renders them."""
    key = (region.code, tuple(codes), _versions(reference, codes, datasets))
    known = _card_sets.get(key)
    if known is None:
        known = await _computed(session, reference, region, codes, datasets)
        if len(_card_sets) >= MAX_CARD_SETS:
            _card_sets.clear()  # old versions' cards are never asked for again
        _card_sets[key] = known
    parts, sources = known
    cards = [
        Card(reference.catalog[code], series, rank, ranked, points)
        for code, (series, rank, ranked) in zip(codes, parts, strict=True)
    ]
    return Kpis(region, cards, notes, attribute(set(sources)), lang)


Versions = tuple[tuple[str, int, str], ...]
# (region, indicators, versions read) -> each card's series, rank and peer count; the sources
CardSet = tuple[list[tuple[dict[int, Cell], int | None, int]], frozenset[str]]
MAX_CARD_SETS = 4096
_card_sets: dict[tuple[str, tuple[str, ...], Versions], CardSet] = {}


def _versions(
    reference: Reference, codes: list[str], datasets: Mapping[str, DatasetState]
) -> Versions:
    used = reference.catalog.datasets_for(codes)
    return tuple((d, datasets[d].version, datasets[d].content_hash) for d in used if d in datasets)


async def _computed(
    session: AsyncSession,
    reference: Reference,
    region: RegionInfo,
    codes: list[str],
    datasets: Mapping[str, DatasetState],
) -> CardSet:
    evaluator = Evaluator(reference.catalog, reference.regions, datasets)
    values = await yearly_values(session, evaluator, codes, [region.code], ALL_YEARS)
    cards = [
        Card(reference.catalog[code], values[code].get(region.code, {}), None, 0, 0)
        for code in codes
    ]
    if region.level in RANKED_LEVELS:
        await _rank(session, evaluator, cards, region, datasets)
    parts = [(card.series, card.rank, card.ranked) for card in cards]
    return parts, frozenset(sources_in(values))


# (indicator, level, period, versions read) -> each peer's rank and how many have one
RankKey = tuple[str, str, Period, tuple[tuple[str, int, str], ...]]
MAX_RANKINGS = 1024
_rankings: dict[RankKey, tuple[dict[str, int | None], int]] = {}


async def _rank(
    session: AsyncSession,
    evaluator: Evaluator,
    cards: list[Card],
    region: RegionInfo,
    datasets: Mapping[str, DatasetState],
) -> None:
    """Each card's rank among the regions of its level in the year and kind of year of its
    latest value. A ranking depends only on the versions it reads, so each process remembers
    it per version: the first card of a version reads every peer's cells (about 0.25 s for the
    municipalities), the others of that indicator and year read nothing."""
    latest = {card.indicator.code: card.latest for card in cards if card.latest is not None}
    keys = {
        code: (
            code,
            region.level,
            Period(cell.period.kind, cell.period.year),
            versions_read(evaluator.catalog, code, datasets),
        )
        for code, cell in latest.items()
    }
    missing = [code for code, key in keys.items() if key not in _rankings]
    if missing:
        peers = [peer.code for peer in evaluator.regions.at_level(region.level)]
        if len(_rankings) + len(missing) > MAX_RANKINGS:
            _rankings.clear()  # old versions' rankings are never asked for again
        years = [keys[code][2].year for code in missing]
        await evaluator.hold(session, missing, peers, YearSpan(min(years), max(years)))
        for code in missing:
            # One indicator and year at a time: every card's cells over every peer at once
            # peaked at 14 MB, which a primed process then kept (freed, not given back).
            period = keys[code][2]
            span = YearSpan(period.year, period.year)
            section = (await evaluator.cells(session, [code], peers, span)).get(code, {})
            found = {peer: section.get(peer, {}).get(period) for peer in peers}
            ranked = ranks({peer: c.value if c else None for peer, c in found.items()})
            present = sum(1 for value in ranked.values() if value is not None)
            _rankings[keys[code]] = (ranked, present)
    for card in cards:
        key = keys.get(card.indicator.code)
        if key is not None:
            ranked, card.ranked = _rankings[key]
            card.rank = ranked.get(region.code)
