"""Growth, compound annual growth and trend breaks of one series.

Trend breaks: the series is fitted by a piecewise straight line with 0, 1 or 2 breaks (each
segment at least ``MIN_SEGMENT`` observations, every placement tried); the number of breaks is
the one with the lowest BIC, so a break is reported only when it explains enough of the variance
to pay for its three extra parameters (two line coefficients and its position).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from chiiki_analytics.forecasting.errors import SeriesTooShort
from chiiki_analytics.forecasting.series import History

MIN_SEGMENT = 4
MAX_BREAKS = 2
MIN_POINTS = 4


@dataclass(frozen=True)
class Change:
    period: int
    previous_period: int
    change: float
    # Percent change; None when the previous value is not positive.
    rate: float | None


@dataclass(frozen=True)
class Segment:
    start_period: int
    end_period: int
    slope_per_year: float


@dataclass(frozen=True)
class TrendBreak:
    period: int
    slope_before: float
    slope_after: float
    # Jump at the break: the new segment's start minus the old line carried on to that period.
    level_shift: float


@dataclass(frozen=True)
class Trend:
    segments: list[Segment]
    breaks: list[TrendBreak]
    bic_by_breaks: dict[int, float]


def changes(history: History) -> list[Change]:
    values, periods = history.values, history.periods
    return [
        Change(
            periods[i],
            periods[i - 1],
            float(values[i] - values[i - 1]),
            float((values[i] / values[i - 1] - 1) * 100) if values[i - 1] > 0 else None,
        )
        for i in range(1, len(values))
    ]


def cagr(history: History) -> float | None:
    """Compound annual growth rate in percent over the whole series; None unless both ends are
    positive (growth from or to zero or below has no compound rate)."""
    first, last = float(history.values[0]), float(history.values[-1])
    years = history.last_period - history.periods[0]
    if years <= 0 or first <= 0 or last <= 0:
        return None
    return float(((last / first) ** (1 / years) - 1) * 100)


def trend(history: History) -> Trend:
    n = len(history)
    if n < MIN_POINTS:
        raise SeriesTooShort(
            f"a trend needs at least {MIN_POINTS} observations; the series has {n}"
        )
    x = np.asarray(history.periods, dtype=float)
    y = history.values
    best_by_count: dict[int, tuple[float, tuple[int, ...]]] = {}
    for count in range(MAX_BREAKS + 1):
        for cuts in itertools.combinations(range(MIN_SEGMENT, n - MIN_SEGMENT + 1), count):
            if any(b - a < MIN_SEGMENT for a, b in itertools.pairwise((0, *cuts, n))):
                continue
            bic = _bic(x, y, cuts)
            if count not in best_by_count or bic < best_by_count[count][0]:
                best_by_count[count] = (bic, cuts)
    count = min(best_by_count, key=lambda c: best_by_count[c][0])
    return _describe(x, y, history.periods, best_by_count[count][1], best_by_count)


def _bic(x: np.ndarray, y: np.ndarray, cuts: tuple[int, ...]) -> float:
    n = len(y)
    sse = sum(_line(x[a:b], y[a:b])[2] for a, b in itertools.pairwise((0, *cuts, len(y))))
    # A perfect fit would give -inf; the floor keeps the comparison finite.
    sse = max(sse, 1e-12 * float(np.sum((y - y.mean()) ** 2)) + 1e-300)
    parameters = 2 * (len(cuts) + 1) + len(cuts) + 1
    return n * math.log(sse / n) + parameters * math.log(n)


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Intercept, slope and residual sum of squares of the least-squares line."""
    slope, intercept = np.polyfit(x, y, 1)
    residuals = y - (intercept + slope * x)
    return float(intercept), float(slope), float(np.sum(residuals**2))


def _describe(
    x: np.ndarray,
    y: np.ndarray,
    periods: tuple[int, ...],
    cuts: tuple[int, ...],
    best_by_count: dict[int, tuple[float, tuple[int, ...]]],
) -> Trend:
    bounds = list(itertools.pairwise((0, *cuts, len(y))))
    lines = [_line(x[a:b], y[a:b]) for a, b in bounds]
    segments = [
        Segment(periods[a], periods[b - 1], slope)
        for (a, b), (_, slope, _) in zip(bounds, lines, strict=True)
    ]
    breaks = [
        TrendBreak(
            period=periods[cut],
            slope_before=before[1],
            slope_after=after[1],
            level_shift=(after[0] + after[1] * x[cut]) - (before[0] + before[1] * x[cut]),
        )
        for cut, before, after in zip(cuts, lines[:-1], lines[1:], strict=True)
    ]
    bics = {count: bic for count, (bic, _) in best_by_count.items()}
    return Trend(segments, breaks, bics)
