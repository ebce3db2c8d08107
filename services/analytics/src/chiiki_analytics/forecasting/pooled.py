"""Models shared by every prefecture: the census panel, five-year steps, log population.

Each method sees the log values of all regions up to an origin (columns of the panel) and
forecasts every region's next ``h`` census values at once, so regions share what they teach:
the nation's growth, the persistence of each region's growth relative to it, a regression
fitted to all regions together. Nothing after the origin is ever read (``CensusPanel.until``
drops it before any method runs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np

from chiiki_analytics.forecasting.errors import InsufficientData, PeriodOutOfRange

STEP = 5
# Five-year steps the pooled growth regression is fitted on, one method each (the backtest
# chooses): the last few only, since the regime (migration to the cities in the 1960s, decline
# after 2005) changes over decades.
POOLED_WINDOWS = (2, 3, 4)


@dataclass(frozen=True)
class CensusPanel:
    """Log values of regions (rows) at census years ``STEP`` apart (columns); NaN where missing."""

    regions: tuple[str, ...]
    periods: tuple[int, ...]
    log_values: np.ndarray

    @classmethod
    def of(cls, series: Mapping[str, Mapping[int, float | None]]) -> CensusPanel:
        """The census years of each region's series: years divisible by ``STEP``, on the longest
        run of such years that every region shares, ending at the last one any region has."""
        regions = tuple(sorted(series))
        years = {y for points in series.values() for y, v in points.items() if _usable(v)}
        grid = _grid(sorted(y for y in years if y % STEP == 0))
        values = np.array(
            [[_log(series[r].get(y)) for y in grid] for r in regions], dtype=np.float64
        ).reshape(len(regions), len(grid))
        return cls(regions, tuple(grid), values)

    def __len__(self) -> int:
        return len(self.periods)

    def until(self, period: int) -> CensusPanel:
        """The census values known at ``period``."""
        if not self.periods or period < self.periods[0]:
            raise PeriodOutOfRange(f"as_of {period} is before the census data")
        count = sum(1 for p in self.periods if p <= period)
        return CensusPanel(self.regions, self.periods[:count], self.log_values[:, :count])

    def national(self) -> np.ndarray:
        """Log of the sum of the regions (regions missing in a year count as zero)."""
        return np.asarray(np.log(np.nansum(np.exp(self.log_values), axis=0)))


def _usable(value: float | None) -> bool:
    return value is not None and np.isfinite(value) and value > 0


def _log(value: float | None) -> float:
    return float(np.log(value)) if value is not None and _usable(value) else np.nan


def _grid(years: list[int]) -> list[int]:
    if not years:
        return []
    run = [years[-1]]
    for year in reversed(years[:-1]):
        if run[-1] - year != STEP:
            break
        run.append(year)
    return run[::-1]


# A method: the log values of the known columns -> log forecasts (regions x h).
Method = Callable[[np.ndarray, int], np.ndarray]


def naive(logs: np.ndarray, h: int) -> np.ndarray:
    return np.repeat(logs[:, -1:], h, axis=1)


def drift(logs: np.ndarray, h: int) -> np.ndarray:
    growth = logs[:, -1] - logs[:, -2]
    return np.asarray(logs[:, -1:] + growth[:, None] * np.arange(1, h + 1))


def national_share(logs: np.ndarray, h: int) -> np.ndarray:
    """The nation's growth on a linear trend (its last change continues), each region's growth
    relative to the nation as it was over the last step."""
    nation = np.log(np.nansum(np.exp(logs), axis=0))
    growth = np.diff(nation)
    steps = np.arange(1, h + 1)
    national = np.cumsum(growth[-1] + (growth[-1] - growth[-2]) * steps)
    relative = (logs[:, -1] - logs[:, -2]) - growth[-1]
    return np.asarray(logs[:, -1:] + national[None, :] + relative[:, None] * steps)


def pooled_growth(logs: np.ndarray, h: int, *, window: int) -> np.ndarray:
    """One regression for all regions: the next step's growth on the last one, fitted to the
    last ``window`` steps, applied recursively."""
    growth = np.diff(logs, axis=1)
    targets = growth[:, -window:]
    lagged = growth[:, -window - 1 : -1]
    x, y = lagged.ravel(), targets.ravel()
    known = ~np.isnan(x) & ~np.isnan(y)
    design = np.column_stack([np.ones(int(known.sum())), x[known]])
    intercept, slope = np.linalg.lstsq(design, y[known], rcond=None)[0]
    last, out = growth[:, -1], []
    level = logs[:, -1]
    for _ in range(h):
        last = intercept + slope * last
        level = level + last
        out.append(level)
    return np.column_stack(out)


_POOLED: dict[int, Method] = {w: partial(pooled_growth, window=w) for w in POOLED_WINDOWS}


def ensemble(logs: np.ndarray, h: int) -> np.ndarray:
    """The mean of the non-baseline forecasts and drift in logs (a geometric mean of values)."""
    forecasts = [method(logs, h) for method in (drift, national_share, *_POOLED.values())]
    return np.asarray(np.mean(forecasts, axis=0))


@dataclass(frozen=True)
class PooledMethod:
    name: str
    description: str
    method: Method
    # Census values needed at an origin.
    min_periods: int
    is_baseline: bool = False


def _pooled_method(window: int) -> PooledMethod:
    return PooledMethod(
        f"pooled_growth_{window}",
        "One regression for all prefectures of the next five-year growth on the last one, "
        f"fitted on the last {window} five-year steps.",
        _POOLED[window],
        window + 2,
    )


METHODS = (
    PooledMethod("naive", "Every prefecture keeps its last census value.", naive, 1, True),
    PooledMethod(
        "drift", "Each prefecture's last five-year growth rate continues.", drift, 2, True
    ),
    PooledMethod(
        "national_share",
        "The national growth rate on a linear trend, each prefecture's growth relative to the "
        "nation as in the last five years.",
        national_share,
        3,
    ),
    *(_pooled_method(window) for window in POOLED_WINDOWS),
    PooledMethod(
        "ensemble",
        "The geometric mean of drift, national_share and every pooled_growth.",
        ensemble,
        max(POOLED_WINDOWS) + 2,
    ),
)
BY_NAME = {method.name: method for method in METHODS}


def require(panel: CensusPanel, needed: int) -> None:
    if len(panel) < needed:
        raise InsufficientData(
            f"the pooled census models need {needed} census values five years apart; "
            f"the data has {len(panel)}"
        )
