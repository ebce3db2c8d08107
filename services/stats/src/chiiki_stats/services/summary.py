"""Summary statistics in plain Python (the ``statistics`` module): distribution over regions,
correlation between indicators, growth rates and moving averages over years.

Conventions: the standard deviation is the sample one (ddof=1); quartiles interpolate linearly
(like Excel's QUARTILE.INC); the coefficient of variation is std / mean; Spearman's rho is
Pearson's r of the average ranks; a region or year without a value is left out, never counted
as 0. Over at most a few thousand values this is cheaper than importing pandas (2.5-3 s of CPU
for a process's first answer) and gives the same figures to the 12 digits the API shows.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chiiki_stats.catalog import IndicatorDef, RegionInfo
from chiiki_stats.cells import Cell
from chiiki_stats.formats import ChartData, Dataset, Result, Table, Unit, over_years
from chiiki_stats.services.population import indicator_label
from chiiki_stats.services.regions import name
from chiiki_stats.values import number

MAX_REGIONS = 2000
MAX_WINDOW = 20
PERCENT = Unit("%", "%")


def _float(value: float | None) -> float | int | None:
    if value is None:
        return None
    value = float(value)
    return number(value) if math.isfinite(value) else None


def _present(values: Mapping[str, Cell | None]) -> dict[str, float]:
    return {
        code: float(cell.value) for code, cell in values.items() if cell and cell.value is not None
    }


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between the two nearest ranks (numpy's and pandas' default)."""
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    a, b = ordered[low], ordered[high]
    # The same lerp as numpy's, so the figures match the ones pandas gave.
    return b - (b - a) * (1 - fraction) if fraction >= 0.5 else a + (b - a) * fraction


def average_ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1, ties sharing the mean of their positions."""
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            result[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return result


@dataclass
class Distribution(Result):
    indicator: IndicatorDef
    year: int
    scope: dict[str, Any]
    regions: list[RegionInfo]
    values: dict[str, Cell | None]
    attribution: list[str]
    lang: str
    name = "summary"

    def statistics(self) -> dict[str, Any]:
        present = _present(self.values)
        missing = [code for code, cell in self.values.items() if not cell or cell.value is None]
        if not present:
            return {"count": 0, "missing": missing}
        names = {region.code: region for region in self.regions}
        low, high = min(present, key=present.__getitem__), max(present, key=present.__getitem__)
        data = list(present.values())
        ordered = sorted(data)
        mean = math.fsum(data) / len(data)
        std = statistics.stdev(data) if len(data) > 1 else None
        q1, q3 = _quantile(ordered, 0.25), _quantile(ordered, 0.75)
        return {
            "count": len(data),
            "missing": missing,
            "mean": _float(mean),
            "median": _float(statistics.median(ordered)),
            "std": _float(std),
            "q1": _float(q1),
            "q3": _float(q3),
            "iqr": _float(q3 - q1),
            "min": {"value": _float(present[low]), "region": names[low].summary()},
            "max": {"value": _float(present[high]), "region": names[high].summary()},
            "sum": _float(math.fsum(data)) if self.indicator.additive else None,
            "cv": _float(std / mean) if std is not None and mean else None,
        }

    def json(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator.summary(),
            "year": self.year,
            "scope": self.scope,
            "statistics": self.statistics(),
            "attribution": self.attribution,
        }

    def table(self) -> Table:
        stats = self.statistics()
        rows: list[list[Any]] = []
        for key, value in stats.items():
            if key == "missing":
                rows.append([key, len(value), None])
            elif isinstance(value, dict):
                rows.append([key, value["value"], value["region"]["code"]])
            else:
                rows.append([key, value, None])
        return Table(["statistic", "value", "region_code"], rows)


@dataclass
class Correlation(Result):
    x: IndicatorDef
    y: IndicatorDef
    year: int
    scope: dict[str, Any]
    regions: list[RegionInfo]
    x_values: dict[str, Cell | None]
    y_values: dict[str, Cell | None]
    attribution: list[str]
    lang: str
    name = "correlation"

    def pairs(self) -> dict[str, tuple[float, float]]:
        """The regions with both values, in the regions' order when both indicators have the
        same regions, else by code (as pandas aligned them)."""
        x, y = _present(self.x_values), _present(self.y_values)
        codes = list(x) if list(x) == list(y) else sorted(x.keys() & y.keys())
        return {code: (x[code], y[code]) for code in codes if code in y}

    def coefficients(self) -> dict[str, Any]:
        pairs = list(self.pairs().values())
        n = len(pairs)
        xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
        if n < 3 or len(set(xs)) < 2 or len(set(ys)) < 2:
            return {"n": n, "pearson": None, "spearman": None}
        pearson = statistics.correlation(xs, ys)
        spearman = statistics.correlation(average_ranks(xs), average_ranks(ys))
        slope, intercept = statistics.linear_regression(xs, ys)
        return {
            "n": n,
            "pearson": _float(pearson),
            "spearman": _float(spearman),
            "r_squared": _float(pearson**2),
            "regression": {"slope": _float(slope), "intercept": _float(intercept)},
        }

    def points(self) -> list[dict[str, Any]]:
        by_code = {region.code: region for region in self.regions}
        return [
            {**by_code[code].summary(), "x": _float(x), "y": _float(y)}
            for code, (x, y) in self.pairs().items()
        ]

    def json(self) -> dict[str, Any]:
        return {
            "x": self.x.summary(),
            "y": self.y.summary(),
            "year": self.year,
            "scope": self.scope,
            "coefficients": self.coefficients(),
            "points": self.points(),
            "attribution": self.attribution,
        }

    def table(self) -> Table:
        return Table(
            ["region_code", "region_name", self.x.code, self.y.code],
            [[p["code"], p["name_ja"], p["x"], p["y"]] for p in self.points()],
        )

    def chartjs(self) -> ChartData:
        """A scatter chart: one dataset of ``{x, y}`` points, labels naming each point."""
        points = self.points()
        by_code = {region.code: region for region in self.regions}
        return ChartData(
            [
                Dataset(
                    f"{indicator_label(self.x, self.lang)} / {indicator_label(self.y, self.lang)}",
                    [{"x": p["x"], "y": p["y"]} for p in points],
                    self.y.units,
                )
            ],
            self.lang,
            [name(by_code[p["code"]], self.lang) for p in points],
            x_unit=self.x.units,
        )


def _yearly(series: Mapping[int, Cell]) -> dict[int, float]:
    """The years with a value, in order."""
    present = {year: float(cell.value) for year, cell in series.items() if cell.value is not None}
    return dict(sorted(present.items()))


@dataclass
class Growth(Result):
    """Year-over-year growth where the previous year has a value; CAGR between the first and the
    last value of the range."""

    indicator: IndicatorDef
    region: RegionInfo
    series: dict[int, Cell]
    attribution: list[str]
    lang: str
    name = "growth"

    def rows(self) -> list[dict[str, Any]]:
        values = _yearly(self.series)
        rows = []
        for year, value in values.items():
            previous = values.get(year - 1)
            change = value - previous if previous is not None else None
            rate = (value / previous - 1) * 100 if previous else None
            rows.append(
                {
                    "year": year,
                    "period": str(self.series[year].period),
                    "value": _float(value),
                    "yoy_change": _float(change),
                    "yoy_percent": _float(rate),
                }
            )
        return rows

    def cagr(self) -> dict[str, Any] | None:
        values = _yearly(self.series)
        if len(values) < 2:
            return None
        years = list(values)
        first_year, last_year = years[0], years[-1]
        first, last = values[first_year], values[last_year]
        if first <= 0 or last <= 0:
            return {"from": first_year, "to": last_year, "percent": None}
        rate = ((last / first) ** (1 / (last_year - first_year)) - 1) * 100
        return {"from": first_year, "to": last_year, "percent": _float(rate)}

    def json(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator.summary(),
            "region": self.region.summary(),
            "points": self.rows(),
            "cagr": self.cagr(),
            "attribution": self.attribution,
        }

    def table(self) -> Table:
        columns = ["year", "period", "value", "yoy_change", "yoy_percent"]
        return Table(columns, [[row[c] for c in columns] for row in self.rows()])

    def chartjs(self) -> ChartData:
        rows = self.rows()
        label = f"{indicator_label(self.indicator, self.lang)} (%)"
        percent = {row["year"]: row["yoy_percent"] for row in rows}
        return over_years(list(percent), [(label, percent, PERCENT)], self.lang)


@dataclass
class MovingAverage(Result):
    """The mean over the ``window`` years ending at each year, only where all of them have a
    value (gaps are not filled)."""

    indicator: IndicatorDef
    region: RegionInfo
    series: dict[int, Cell]
    window: int
    attribution: list[str]
    lang: str
    name = "moving-average"

    def rows(self) -> list[dict[str, Any]]:
        values = _yearly(self.series)
        rows = []
        for year, value in values.items():
            window = [values.get(y) for y in range(year - self.window + 1, year + 1)]
            complete = [v for v in window if v is not None]
            averaged = math.fsum(complete) / self.window if len(complete) == self.window else None
            rows.append(
                {
                    "year": year,
                    "period": str(self.series[year].period),
                    "value": _float(value),
                    "moving_average": _float(averaged),
                }
            )
        return rows

    def json(self) -> dict[str, Any]:
        return {
            "indicator": self.indicator.summary(),
            "region": self.region.summary(),
            "window": self.window,
            "points": self.rows(),
            "attribution": self.attribution,
        }

    def table(self) -> Table:
        columns = ["year", "period", "value", "moving_average"]
        return Table(columns, [[row[c] for c in columns] for row in self.rows()])

    def chartjs(self) -> ChartData:
        rows = self.rows()
        label = indicator_label(self.indicator, self.lang)
        unit = self.indicator.units
        series = [
            (label, {row["year"]: row["value"] for row in rows}, unit),
            (
                f"{label} ({self.window}-year moving average)",
                {row["year"]: row["moving_average"] for row in rows},
                unit,
            ),
        ]
        return over_years([row["year"] for row in rows], series, self.lang)


def scope_of(
    level: str, parent: RegionInfo | None, regions: Sequence[RegionInfo], explicit: bool
) -> dict[str, Any]:
    return {
        "level": None if explicit else level,
        "parent": parent.summary() if parent else None,
        "regions": [region.code for region in regions] if explicit else None,
        "region_count": len(regions),
    }
