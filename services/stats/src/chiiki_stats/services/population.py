"""Population: a region's time series, and the cross-section of all regions of a level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chiiki_stats.catalog import Catalog, IndicatorDef, RegionInfo
from chiiki_stats.cells import Cell
from chiiki_stats.formats import ChartData, Dataset, GeoLayer, Result, Table, over_years
from chiiki_stats.precision import charted, charted_cell
from chiiki_stats.services.regions import name
from chiiki_stats.values import number, point, ranks

# The population indicators, in the order the dashboard shows them, with their group.
POPULATION = {
    "population.total": "total",
    "population.male": "by_sex",
    "population.female": "by_sex",
    "population.aged_0_14": "by_age",
    "population.aged_15_64": "by_age",
    "population.aged_65_plus": "by_age",
    "population.aged_0_14_share": "ageing",
    "population.aged_65_plus_share": "ageing",
    "population.density": "density",
    "vital.births": "births",
    "vital.deaths": "deaths",
    "vital.natural_change": "natural_change",
    "migration.in": "migration",
    "migration.out": "migration",
    "migration.net": "migration",
}

LONG_COLUMNS = [
    "region_code",
    "region_name",
    "indicator",
    "year",
    "period",
    "time",
    "value",
    "mark",
    "unit",
    "rank",
    "method",
    "sources",
]


def indicator_label(indicator: IndicatorDef, lang: str) -> str:
    return indicator.name_en if lang == "en" else indicator.name_ja


def long_row(
    region: RegionInfo,
    indicator: IndicatorDef,
    cell: Cell,
    lang: str,
    notes: Mapping[str, Mapping[str, str]],
    rank: int | None = None,
) -> list[Any]:
    shown = point(cell, notes)
    return [
        region.code,
        name(region, lang),
        indicator.code,
        shown["year"],
        shown["period"],
        shown["time"],
        shown["value"],
        shown["mark"],
        indicator.unit,
        rank,
        shown["method"],
        " ".join(shown["sources"]),
    ]


@dataclass
class PopulationSeries(Result):
    region: RegionInfo
    indicators: list[IndicatorDef]
    values: dict[str, dict[int, Cell]]  # indicator -> year -> cell
    notes: Mapping[str, Mapping[str, str]]
    attribution: list[str]
    lang: str
    name = "population"

    @property
    def years(self) -> list[int]:
        return sorted({year for years in self.values.values() for year in years})

    @property
    def period_kinds(self) -> list[str]:
        """The kinds of year the points carry: census years are calendar years, SSDSE's fiscal
        years (both count the population of 1 October), so a long series names both."""
        kinds = {cell.period.kind for cells in self.values.values() for cell in cells.values()}
        return sorted(kind.value for kind in kinds)

    def json(self) -> dict[str, Any]:
        return {
            "region": self.region.summary(),
            "years": self.years,
            "period_kinds": self.period_kinds,
            "indicators": [
                {
                    **indicator.summary(),
                    "group": POPULATION.get(indicator.code),
                    "points": [
                        point(cell, self.notes) for cell in self.values[indicator.code].values()
                    ],
                }
                for indicator in self.indicators
            ],
            "attribution": self.attribution,
        }

    def table(self) -> Table:
        rows = [
            long_row(self.region, indicator, cell, self.lang, self.notes)
            for indicator in self.indicators
            for cell in self.values[indicator.code].values()
        ]
        return Table(LONG_COLUMNS, rows)

    def chartjs(self) -> ChartData:
        series = [
            (
                indicator_label(indicator, self.lang),
                {
                    year: charted(cell.value, indicator)
                    for year, cell in self.values[indicator.code].items()
                },
                indicator.units,
            )
            for indicator in self.indicators
        ]
        return over_years(self.years, series, self.lang)


@dataclass
class CrossSection(Result):
    """Indicators for every region of a level in one year, with ranks (1 = largest value)."""

    level: str
    year: int | None  # None when the level has no value of the first indicator at all
    parent: RegionInfo | None
    regions: list[RegionInfo]
    indicators: list[IndicatorDef]
    values: dict[str, dict[str, Cell | None]]  # indicator -> region -> cell
    notes: Mapping[str, Mapping[str, str]]
    attribution: list[str]
    lang: str
    sort: str | None = None  # chartjs bars: "asc" or "desc" by the first indicator's value
    top: int | None = None  # chartjs bars: only the first ``top`` regions
    name = "population-cross-section"

    def __post_init__(self) -> None:
        self.ranks = {
            code: ranks({region: cell.value if cell else None for region, cell in cells.items()})
            for code, cells in self.values.items()
        }

    def json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "year": self.year,
            "parent": self.parent.summary() if self.parent else None,
            "indicators": [indicator.summary() for indicator in self.indicators],
            "regions": [
                {**region.summary(), "values": self._region_values(region.code)}
                for region in self.regions
            ],
            "attribution": self.attribution,
        }

    def _region_values(self, region_code: str) -> dict[str, dict[str, Any]]:
        """Each indicator's point of one region, with its rank (added to the point, not copied:
        a municipal answer has tens of thousands)."""
        found: dict[str, dict[str, Any]] = {}
        for indicator in self.indicators:
            code = indicator.code
            shown = point(self.values[code][region_code], self.notes, self.year)
            shown["rank"] = self.ranks[code][region_code]
            found[code] = shown
        return found

    def table(self) -> Table:
        rows = []
        for region in self.regions:
            for indicator in self.indicators:
                cell = self.values[indicator.code][region.code]
                if cell is None:
                    continue
                rank = self.ranks[indicator.code][region.code]
                rows.append(long_row(region, indicator, cell, self.lang, self.notes, rank))
        return Table(LONG_COLUMNS, rows)

    def chartjs(self) -> ChartData:
        regions = self.ranked()
        return ChartData(
            [
                Dataset(
                    indicator_label(indicator, self.lang),
                    [charted_cell(self.values[indicator.code][r.code], indicator) for r in regions],
                    indicator.units,
                )
                for indicator in self.indicators
            ],
            self.lang,
            [name(region, self.lang) for region in regions],
        )

    def ranked(self) -> list[RegionInfo]:
        """The bars' regions: ordered by the first indicator's value when ``sort`` is given
        (ties by region code, regions without a value last), the first ``top`` of them."""
        regions = self.regions
        if self.sort is not None:
            cells = self.values[self.indicators[0].code]
            valued = [r for r in regions if _value(cells[r.code]) is not None]
            sign = -1 if self.sort == "desc" else 1
            valued.sort(key=lambda r: (sign * float(_value(cells[r.code]) or 0), r.code))
            regions = valued + [r for r in regions if _value(cells[r.code]) is None]
        return regions[: self.top] if self.top is not None else regions

    def geo(self) -> GeoLayer:
        single = self.indicators[0].code if len(self.indicators) == 1 else None
        properties: dict[str, dict[str, Any]] = {}
        for region in self.regions:
            entry: dict[str, Any] = {
                "code": region.code,
                "name_ja": region.name_ja,
                "name_en": region.name_en,
            }
            if single:
                entry["value"] = _value(self.values[single][region.code])
                entry["rank"] = self.ranks[single][region.code]
            for indicator in self.indicators:
                cell = self.values[indicator.code][region.code]
                entry[indicator.code] = _value(cell)
                entry[f"{indicator.code}.rank"] = self.ranks[indicator.code][region.code]
                entry[f"{indicator.code}.period"] = str(cell.period) if cell else None
            properties[region.code] = entry
        metadata = {
            "level": self.level,
            "year": self.year,
            "indicators": [indicator.summary() for indicator in self.indicators],
        }
        parent = self.parent.code if self.parent else None
        return GeoLayer(properties, metadata, self.attribution, self.level, parent)


def _value(cell: Cell | None) -> float | int | None:
    return number(cell.value) if cell else None


def population_codes(catalog: Catalog, requested: Sequence[str] | None) -> list[IndicatorDef]:
    codes = requested or list(POPULATION)
    return [catalog[code] for code in codes]
