"""Comparison: several regions x several indicators over years, with the nation alongside."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chiiki_stats.catalog import NATION, IndicatorDef, RegionInfo
from chiiki_stats.cells import Cell
from chiiki_stats.formats import ChartData, Dataset, Result, Table, over_years
from chiiki_stats.precision import charted, charted_cell
from chiiki_stats.services.population import LONG_COLUMNS, indicator_label, long_row
from chiiki_stats.services.regions import name
from chiiki_stats.values import point

MAX_REGIONS = 20
MAX_INDICATORS = 10


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
