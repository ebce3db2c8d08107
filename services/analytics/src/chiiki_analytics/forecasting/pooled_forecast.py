"""The pooled census forecast with intervals, and its rolling-origin evaluation.

Intervals are calibrated on the errors of the whole procedure, as the per-series forecasts are:
at each of the last ``CALIBRATION_ORIGINS`` origins with a known outcome, the method that the
selection would have chosen then (from the data known then), every region's log error. Each
error is divided by its region's scale at that origin (``error_scale``: the recent past was more
volatile than now, and unscaled errors gave intervals that covered 96-100%). The half-width at
horizon ``h`` is the region's scale now times the split-conformal quantile of those scaled
errors at ``h`` (the ``ceil((n+1) * level)``-th smallest of ``n``); a horizon no origin reached
is extrapolated linearly in ``h`` from the farthest one that was.

The evaluation runs the whole procedure (selection, fit, calibration) as of each origin with
the data up to it only, and scores it, and every method alone, on what followed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chiiki_analytics.forecasting.intervals import LEVELS
from chiiki_analytics.forecasting.pooled import METHODS, STEP, CensusPanel, require
from chiiki_analytics.forecasting.pooled_selection import RECENT_ORIGINS, PooledSelection, select

CALIBRATION_ORIGINS = 5
SCALE_STEPS = 3
SCALE_FLOOR = 0.25


@dataclass(frozen=True)
class PooledForecast:
    panel: CensusPanel
    periods: list[int]
    # regions x horizons, in the data's unit
    points: np.ndarray
    # level -> (lower, upper), regions x horizons
    intervals: dict[float, tuple[np.ndarray, np.ndarray]]
    selection: PooledSelection
    # level -> absolute log-error quantile by horizon
    quantiles: dict[float, list[float]]
    calibration_errors: int


def pooled_forecast(panel: CensusPanel, horizon: int) -> PooledForecast:
    """Every region's next ``horizon`` census values, from the data in ``panel`` only."""
    selection = select(panel, horizon)
    logs = selection.chosen.method(panel.log_values, horizon)
    errors, scales = procedure_errors(panel, horizon)
    scaled = errors / scales
    quantiles = {level: _quantiles(scaled, level, horizon) for level in LEVELS}
    now = error_scale(panel.log_values)[:, None]
    intervals = {
        level: (
            np.exp(logs - now * np.array(q)[None, :]),
            np.exp(logs + now * np.array(q)[None, :]),
        )
        for level, q in quantiles.items()
    }
    last = panel.periods[-1]
    return PooledForecast(
        panel,
        [last + STEP * h for h in range(1, horizon + 1)],
        np.exp(logs),
        intervals,
        selection,
        quantiles,
        int(np.count_nonzero(~np.isnan(errors))),
    )


def procedure_errors(panel: CensusPanel, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Log errors (origins x horizons x regions) of the method chosen at each recent origin."""
    n = len(panel)
    rows, scales = [], []
    for origin in range(n - CALIBRATION_ORIGINS, n):
        seen = panel.until(panel.periods[origin - 1])
        chosen = select(seen, horizon).chosen
        steps = min(horizon, n - origin)
        row = np.full((horizon, len(panel.regions)), np.nan)
        row[:steps] = (
            panel.log_values[:, origin : origin + steps] - chosen.method(seen.log_values, steps)
        ).T
        rows.append(row)
        scales.append(error_scale(seen.log_values))
    return np.array(rows), np.array(scales)[:, None, :]


def error_scale(logs: np.ndarray) -> np.ndarray:
    """Each region's mean absolute five-year change in logs over the last ``SCALE_STEPS`` steps,
    floored at ``SCALE_FLOOR`` times the median region's, so a region that hardly moved still
    gets an interval."""
    changes = np.abs(np.diff(logs[:, -SCALE_STEPS - 1 :], axis=1))
    scale = np.nanmean(changes, axis=1)
    return np.asarray(np.maximum(scale, SCALE_FLOOR * float(np.nanmedian(scale))))


def _quantiles(errors: np.ndarray, level: float, horizon: int) -> list[float]:
    out: list[float] = []
    for h in range(horizon):
        known = np.sort(np.abs(errors[:, h][~np.isnan(errors[:, h])]))
        rank = math.ceil((len(known) + 1) * level)
        if len(known) and rank <= len(known):
            out.append(float(known[rank - 1]))
        elif out:
            out.append(out[-1] * (h + 1) / h)
        else:
            raise ValueError("no backtest errors to calibrate on")
    return out


@dataclass(frozen=True)
class EvaluationRow:
    method: str
    horizon: int
    mape: float
    origins: int
    # The whole procedure's interval coverage; None for the single methods.
    coverage: dict[float, float] | None


def first_origin(panel: CensusPanel) -> int:
    """The earliest origin at which the whole procedure can run (select and calibrate)."""
    needed = max(m.min_periods for m in METHODS) + RECENT_ORIGINS + CALIBRATION_ORIGINS
    require(panel, needed + 1)
    return panel.periods[needed - 1]


def evaluate(panel: CensusPanel, horizon: int, first: int | None = None) -> list[EvaluationRow]:
    """MAPE by method and horizon (5-year steps), and the procedure's coverage, over the
    origins from ``first`` (the earliest possible by default) whose outcome the panel holds."""
    start = first_origin(panel) if first is None else first
    origins = [p for p in panel.periods[:-1] if p >= start]
    ape: dict[str, list[list[float]]] = {m.name: [[] for _ in range(horizon)] for m in METHODS}
    ape["selected"] = [[] for _ in range(horizon)]
    hits = {level: [[0, 0] for _ in range(horizon)] for level in LEVELS}
    for origin in origins:
        _score_origin(panel, origin, horizon, ape, hits)
    rows = []
    for name, by_h in ape.items():
        for h, values in enumerate(by_h, start=1):
            if not values:
                continue
            coverage = (
                {level: hits[level][h - 1][0] / hits[level][h - 1][1] for level in LEVELS}
                if name == "selected"
                else None
            )
            count = len(values) // len(panel.regions)
            rows.append(EvaluationRow(name, h, float(np.mean(values)), count, coverage))
    return rows


def _score_origin(
    panel: CensusPanel,
    origin: int,
    horizon: int,
    ape: dict[str, list[list[float]]],
    hits: dict[float, list[list[int]]],
) -> None:
    seen = panel.until(origin)
    n, steps = len(seen), min(horizon, len(panel) - len(seen))
    actual = np.exp(panel.log_values[:, n : n + steps])
    for method in METHODS:
        predicted = np.exp(method.method(seen.log_values, steps))
        for h in range(steps):
            ape[method.name][h].extend(_ape(predicted[:, h], actual[:, h]))
    forecast = pooled_forecast(seen, steps)
    for h in range(steps):
        ape["selected"][h].extend(_ape(forecast.points[:, h], actual[:, h]))
        known = ~np.isnan(actual[:, h])
        for level, (low, high) in forecast.intervals.items():
            inside = (low[:, h] <= actual[:, h]) & (actual[:, h] <= high[:, h])
            hits[level][h][0] += int(inside[known].sum())
            hits[level][h][1] += int(known.sum())


def _ape(predicted: np.ndarray, actual: np.ndarray) -> list[float]:
    known = ~np.isnan(actual) & ~np.isnan(predicted)
    return list(np.abs(predicted[known] - actual[known]) / actual[known] * 100)


__all__ = [
    "RECENT_ORIGINS",
    "EvaluationRow",
    "PooledForecast",
    "evaluate",
    "first_origin",
    "pooled_forecast",
]
