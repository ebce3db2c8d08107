"""Summary statistics with pandas: distribution over regions, correlation between indicators,
growth rates and moving averages over years.

Conventions: the standard deviation is the sample one (ddof=1); quartiles interpolate linearly
(pandas' default, like Excel's QUARTILE.INC); the coefficient of variation is std / mean;
Spearman's rho is Pearson's r of the average ranks; a region or year without a value is left
out, never counted as 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chiiki_stats.catalog import IndicatorDef, RegionInfo
from chiiki_stats.formats import ChartData, Dataset, Result, Table, Unit, over_years
from chiiki_stats.services.population import indicator_label
from chiiki_stats.services.regions import name
from chiiki_stats.values import Cell, number

if TYPE_CHECKING:  # pandas is imported by the functions that use it: idle, it would hold ~45 MB
    import pandas as pd

MAX_REGIONS = 2000
MAX_WINDOW = 20
PERCENT = Unit("%", "%")


def _float(value: Any) -> float | int | None:
    if value is None:
        return None
    value = float(value)
    return number(value) if math.isfinite(value) else None


def _series(values: Mapping[str, Cell | None]) -> pd.Series:
    import pandas as pd

    present = {code: cell.value for code, cell in values.items() if cell and cell.value is not None}
    return pd.Series(present, dtype="float64")


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
        series = _series(self.values)
        missing = [code for code, cell in self.values.items() if not cell or cell.value is None]
        if series.empty:
            return {"count": 0, "missing": missing}
        names = {region.code: region for region in self.regions}
        low, high = series.idxmin(), series.idxmax()
        mean = series.mean()
        std = series.std(ddof=1) if len(series) > 1 else None
        return {
            "count": int(series.count()),
            "missing": missing,
            "mean": _float(mean),
            "median": _float(series.median()),
            "std": _float(std),
            "q1": _float(series.quantile(0.25)),
            "q3": _float(series.quantile(0.75)),
            "iqr": _float(series.quantile(0.75) - series.quantile(0.25)),
            "min": {"value": _float(series[low]), "region": names[low].summary()},
            "max": {"value": _float(series[high]), "region": names[high].summary()},
            "sum": _float(series.sum()) if self.indicator.additive else None,
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

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        frame = pd.DataFrame({"x": _series(self.x_values), "y": _series(self.y_values)})
        return frame.dropna()

    def coefficients(self) -> dict[str, Any]:
        import numpy as np

        frame = self.frame()
        n = len(frame)
        if n < 3 or frame["x"].nunique() < 2 or frame["y"].nunique() < 2:
            return {"n": n, "pearson": None, "spearman": None}
        pearson = frame["x"].corr(frame["y"], method="pearson")
        ranked = frame.rank(method="average")
        spearman = ranked["x"].corr(ranked["y"], method="pearson")
        slope, intercept = np.polyfit(frame["x"].to_numpy(), frame["y"].to_numpy(), 1)
        return {
            "n": n,
            "pearson": _float(pearson),
            "spearman": _float(spearman),
            "r_squared": _float(pearson**2),
            "regression": {"slope": _float(slope), "intercept": _float(intercept)},
        }

    def points(self) -> list[dict[str, Any]]:
        frame = self.frame()
        by_code = {region.code: region for region in self.regions}
        return [
            {**by_code[code].summary(), "x": _float(row.x), "y": _float(row.y)}
            for code, row in frame.iterrows()
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


def _yearly(series: Mapping[int, Cell]) -> pd.Series:
    import pandas as pd

    present = {year: cell.value for year, cell in series.items() if cell.value is not None}
    return pd.Series(present, dtype="float64").sort_index()


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
        if values.empty:
            return []
        full = values.reindex(range(int(values.index.min()), int(values.index.max()) + 1))
        previous = full.shift(1)
        change = full - previous
        rate = (full / previous - 1) * 100
        return [
            {
                "year": int(year),
                "period": str(self.series[int(year)].period),
                "value": _float(full[year]),
                "yoy_change": _float(change[year]),
                "yoy_percent": _float(rate[year]),
            }
            for year in values.index
        ]

    def cagr(self) -> dict[str, Any] | None:
        values = _yearly(self.series)
        if len(values) < 2:
            return None
        first_year, last_year = int(values.index[0]), int(values.index[-1])
        first, last = values.iloc[0], values.iloc[-1]
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
        if values.empty:
            return []
        full = values.reindex(range(int(values.index.min()), int(values.index.max()) + 1))
        averaged = full.rolling(self.window, min_periods=self.window).mean()
        return [
            {
                "year": int(year),
                "period": str(self.series[int(year)].period),
                "value": _float(full[year]),
                "moving_average": _float(averaged[year]),
            }
            for year in values.index
        ]

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
