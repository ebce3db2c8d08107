"""A forecast with its measured accuracy: select by backtest, fit on all data, calibrate intervals.

Intervals are calibrated on the errors of the whole procedure (``procedure_errors``), and their
coverage is checked by leaving each backtest origin out of its own calibration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiiki_analytics.forecasting.backtest import Backtest, naive_scale
from chiiki_analytics.forecasting.intervals import (
    LEVELS,
    Calibration,
    calibrate,
    cross_validated_coverage,
)
from chiiki_analytics.forecasting.selection import procedure_errors, select_model
from chiiki_analytics.forecasting.series import History


@dataclass(frozen=True)
class Accuracy:
    """How a model did in the rolling-origin backtest."""

    mase: float
    mape: float | None
    mase_by_horizon: list[float | None]
    origins: int
    errors: int

    @classmethod
    def of(cls, backtest: Backtest) -> Accuracy:
        return cls(
            mase=backtest.mase(),
            mape=backtest.mape(),
            mase_by_horizon=backtest.mase_by_horizon(),
            origins=len(backtest.origins),
            errors=backtest.error_count,
        )


@dataclass(frozen=True)
class PredictedPeriod:
    period: int
    point: float
    # level -> (lower, upper)
    intervals: dict[float, tuple[float, float]]
    # False when no backtest reached this far ahead: the width is extrapolated by h**gamma.
    backtested: bool


@dataclass(frozen=True)
class Forecast:
    history: History
    model: str
    description: str
    predictions: list[PredictedPeriod]
    accuracy: Accuracy
    candidates: dict[str, Accuracy]
    baseline: str
    calibration: Calibration
    coverage: dict[float, float | None]


def make_forecast(history: History, horizon: int) -> Forecast:
    """Forecast ``horizon`` periods after the end of ``history``."""
    selection = select_model(history, horizon)
    chosen = selection.chosen
    errors, scales = procedure_errors(selection), selection.backtest.scales
    calibration = calibrate(errors, scales)
    points = chosen().fit(history).predict(horizon)
    predictions = _predictions(history, points, calibration, backtested=errors.shape[1])
    return Forecast(
        history=history,
        model=chosen.name,
        description=chosen.description,
        predictions=predictions,
        accuracy=Accuracy.of(selection.backtest),
        candidates={name: Accuracy.of(bt) for name, bt in selection.backtests.items()},
        baseline=selection.baseline,
        calibration=calibration,
        coverage=cross_validated_coverage(errors, scales),
    )


def forecast_as_of(observed: History, horizon: int, as_of: int | None) -> Forecast:
    """The forecast made with the data up to ``as_of`` only (all of it when None)."""
    return make_forecast(observed if as_of is None else observed.until(as_of), horizon)


def _predictions(
    history: History, points: np.ndarray, calibration: Calibration, *, backtested: int
) -> list[PredictedPeriod]:
    scale = naive_scale(history.values)
    # Counts, populations and shares cannot go below zero; neither can their intervals.
    floor = 0.0 if bool(np.all(history.values >= 0)) else -np.inf
    predictions = []
    for h, (period, point) in enumerate(
        zip(history.future_periods(len(points)), points, strict=True), start=1
    ):
        intervals = {
            level: (
                max(floor, float(point) - calibration.half_width(level, h, scale)),
                float(point) + calibration.half_width(level, h, scale),
            )
            for level in LEVELS
        }
        predictions.append(PredictedPeriod(period, float(point), intervals, h <= backtested))
    return predictions
