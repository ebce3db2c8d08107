"""Rolling-origin backtests: refit at each origin, forecast the periods after it, keep the errors.

At origin ``o`` a model sees the first ``o`` observations only and forecasts observations
``o+1 .. o+H``. Errors are ``actual - forecast``. MASE divides absolute errors by the mean
absolute one-step change of the data the model saw (the in-sample naive error, Hyndman & Koehler
2006), so it is comparable across series; the naive model scores about 1 at one step ahead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiiki_analytics.forecasting.candidates import Model
from chiiki_analytics.forecasting.series import History

# A training window whose values never change has no naive error to scale by; this floor keeps
# MASE finite (and very large for any model that misses such a series).
_SCALE_FLOOR = 1e-9


@dataclass(frozen=True)
class Backtest:
    """The errors of one model at every origin (rows) and horizon (columns, 1-based)."""

    model: str
    origins: np.ndarray
    errors: np.ndarray
    actuals: np.ndarray
    scales: np.ndarray

    @property
    def scaled_errors(self) -> np.ndarray:
        return np.asarray(np.abs(self.errors) / self.scales[:, None])

    @property
    def error_count(self) -> int:
        return int(np.count_nonzero(~np.isnan(self.errors)))

    def mase(self) -> float:
        return float(np.nanmean(self.scaled_errors))

    def mape(self) -> float | None:
        """Mean absolute percentage error; undefined when an actual value is zero."""
        if np.any(self.actuals[~np.isnan(self.actuals)] == 0):
            return None
        return float(np.nanmean(np.abs(self.errors / self.actuals)) * 100)

    def mase_by_horizon(self) -> list[float | None]:
        scaled = self.scaled_errors
        return [
            float(np.nanmean(column)) if np.any(~np.isnan(column)) else None for column in scaled.T
        ]


def naive_scale(values: np.ndarray) -> float:
    """The in-sample mean absolute one-step change, floored so it can divide."""
    changes = np.abs(np.diff(values))
    scale = float(changes.mean()) if len(changes) else 0.0
    return max(scale, _SCALE_FLOOR * max(1.0, float(np.abs(values).mean())))


def rolling_origin(model: type[Model], history: History, horizon: int, first: int) -> Backtest:
    """Fit ``model`` at origins ``first .. n-1`` and compare its forecasts with what followed."""
    n = len(history)
    origins = np.arange(first, n)
    errors = np.full((len(origins), horizon), np.nan)
    actuals = np.full((len(origins), horizon), np.nan)
    scales = np.empty(len(origins))
    for row, origin in enumerate(origins):
        seen = history.head(int(origin))
        steps = min(horizon, n - int(origin))
        predicted = model().fit(seen).predict(steps)
        observed = history.values[origin : origin + steps]
        errors[row, :steps] = observed - predicted
        actuals[row, :steps] = observed
        scales[row] = naive_scale(seen.values)
    return Backtest(model.name, origins, errors, actuals, scales)
