"""Comparison: several regions x several indicators over years, with the nation alongside."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats.catalog import NATION, IndicatorDef, RegionInfo
from chiiki_stats.cells import Cell
from chiiki_stats.formats import ChartData, Dataset, Result, Table, over_years
from chiiki_stats.periods import YearSpan
from chiiki_stats.precision import charted, charted_cell
from chiiki_stats.repository import DatasetState
from chiiki_stats.services.population import LONG_COLUMNS, indicator_label, long_row
from chiiki_stats.services.regions import name
from chiiki_stats.values import Evaluator, Yearly, point, yearly_values

MAX_REGIONS = 20
MAX_INDICATORS = 10

# (indicators, span, versions read) -> the nation's yearly values. The nation is most often a sum
# of the 47 prefectures, which every comparison read and added up again (about 60% of its CPU).
NationKey = tuple[tuple[str, ...], YearSpan, tuple[tuple[str, int, str], ...]]
MAX_NATIONS = 256
_nations: dict[NationKey, Yearly] = {}


async def values_of(
    session: AsyncSession,
    evaluator: Evaluator,
    codes: Sequence[str],
    region_codes: Sequence[str],
    span: YearSpan,
    datasets: Mapping[str, DatasetState],
) -> Yearly:
    """``yearly_values`` of ``region_codes``, the nation's remembered per dataset version
    (``datasets``: the request's snapshot). A region's values never depend on the other regions
    asked, so the nation evaluated on its own gives the same cells."""
    others = [code for code in region_codes if code != NATION]
    values: Yearly = {code: {} for code in codes}
    if others:
        values = await yearly_values(session, evaluator, codes, others, span)
    if NATION not in region_codes:
        return values
    nation = await _nation(session, evaluator, codes, span, datasets)
    for code in codes:
        found = nation.get(code, {}).get(NATION)
        if found is not None:
            values[code][NATION] = found
    return values


async def _nation(
    session: AsyncSession,
    evaluator: Evaluator,
    codes: Sequence[str],
    span: YearSpan,
    datasets: Mapping[str, DatasetState],
) -> Yearly:
    used = evaluator.catalog.datasets_for(codes)
    versions = tuple(
        (d, datasets[d].version, datasets[d].content_hash) for d in used if d in datasets
    )
    key = (tuple(codes), span, versions)
    known = _nations.get(key)
    if known is None:
        known = await yearly_values(session, evaluator, codes, [NATION], span)
        if len(_nations) >= MAX_NATIONS:
            _nations.clear()  # old versions' values are never asked for again
        _nations[key] = known
    return known


@dataclass
class Comparison(Result):
    regions: list[RegionInfo]  # the requested regions, then the nation when it was added
    national: RegionInfo | None
    indicators: list[IndicatorDef]
    values: dict[str, dict[str, dict[int, Cell]]]  # indicator -> region -> year -> cell
    years: list[int]
    single_year: bool
    notes: Mapping[str, Mapping[str, str]]
    attribution: list[str]
    lang: str
    name = "comparison"

    @property
    def all_regions(self) -> list[RegionInfo]:
        return [*self.regions, *([self.national] if self.national else [])]

    def _cells(self, indicator: str, region: str) -> dict[int, Cell]:
        return self.values[indicator].get(region, {})

    def json(self) -> dict[str, Any]:
        return {
            "years": self.years,
            "regions": [region.summary() for region in self.regions],
            "national": self.national.summary() if self.national else None,
            "indicators": [indicator.summary() for indicator in self.indicators],
            "series": [
                {
                    "indicator": indicator.code,
                    "region": region.code,
                    "national": region.code == NATION and self.national is not None,
                    "points": [
                        point(self._cells(indicator.code, region.code).get(year), self.notes, year)
                        for year in self.years
                    ],
                }
                for indicator in self.indicators
                for region in self.all_regions
            ],
            "attribution": self.attribution,
        }

    def table(self) -> Table:
        rows = [
            long_row(region, indicator, cell, self.lang, self.notes)
            for indicator in self.indicators
            for region in self.all_regions
            for cell in self._cells(indicator.code, region.code).values()
        ]
        return Table(LONG_COLUMNS, rows)

    def chartjs(self) -> ChartData:
        """One year: regions on the axis, one dataset per indicator. Several years: years on the
        axis, one dataset per indicator and region. Each indicator's unit has its own axis."""
        if self.single_year:
            (year,) = self.years
            return ChartData(
                [
                    Dataset(
                        indicator_label(indicator, self.lang),
                        [
                            charted_cell(
                                self._cells(indicator.code, region.code).get(year), indicator
                            )
                            for region in self.all_regions
                        ],
                        indicator.units,
                    )
                    for indicator in self.indicators
                ],
                self.lang,
                [name(region, self.lang) for region in self.all_regions],
            )
        series = [
            (
                f"{name(region, self.lang)} - {indicator_label(indicator, self.lang)}",
                {
                    year: charted(cell.value, indicator)
                    for year, cell in self._cells(indicator.code, region.code).items()
                },
                indicator.units,
            )
            for indicator in self.indicators
            for region in self.all_regions
        ]
        return over_years(self.years, series, self.lang)
