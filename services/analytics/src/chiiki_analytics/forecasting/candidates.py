"""The candidate models: each is fitted on a history and predicts the next ``horizon`` values.

Two are baselines (last value, drift) and are always computed; the others are used only when
they beat both in a rolling-origin backtest (see ``selection``).
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar, Self

import numpy as np

from chiiki_analytics.forecasting.series import History

if TYPE_CHECKING:  # imported where a model is fitted: scikit-learn (with SciPy) holds ~60 MB
    from sklearn.linear_model import LinearRegression


class Model(ABC):
    """A forecasting method: ``fit`` on a history, then ``predict`` the next periods."""

    name: ClassVar[str]
    description: ClassVar[str]
    min_points: ClassVar[int]
    is_baseline: ClassVar[bool] = False

    def applicable(self, history: History) -> bool:
        return len(history) >= self.min_points

    @abstractmethod
    def fit(self, history: History) -> Self: ...

    @abstractmethod
    def predict(self, horizon: int) -> np.ndarray: ...


class LastValue(Model):
    name = "naive"
    description = "Naive baseline: every future value equals the last observed value."
    min_points = 1
    is_baseline = True

    def fit(self, history: History) -> Self:
        self.last = float(history.values[-1])
        return self

    def predict(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self.last)


class Drift(Model):
    name = "drift"
    description = "Drift baseline: the last value plus the average change per period so far."
    min_points = 2
    is_baseline = True

    def fit(self, history: History) -> Self:
        values = history.values
        self.last = float(values[-1])
        self.slope = float(values[-1] - values[0]) / (len(values) - 1)
        return self

    def predict(self, horizon: int) -> np.ndarray:
        return self.last + self.slope * np.arange(1, horizon + 1)


class LinearTrend(Model):
    name = "linear_trend"
    description = "Least-squares straight line through the whole history."
    min_points = 3

    def fit(self, history: History) -> Self:
        from sklearn.linear_model import LinearRegression

        self.n = len(history)
        self.regression = LinearRegression().fit(_time(self.n), history.values)
        return self

    def predict(self, horizon: int) -> np.ndarray:
        return _line(self.regression, self.n, horizon)


class LogLinear(Model):
    name = "log_linear"
    description = "Constant growth rate: a straight line through the logarithm of the values."
    min_points = 3

    def applicable(self, history: History) -> bool:
        return super().applicable(history) and bool(np.all(history.values > 0))

    def fit(self, history: History) -> Self:
        from sklearn.linear_model import LinearRegression

        self.n = len(history)
        self.regression = LinearRegression().fit(_time(self.n), np.log(history.values))
        return self

    def predict(self, horizon: int) -> np.ndarray:
        return np.asarray(np.exp(_line(self.regression, self.n, horizon)))


# Smoothing parameters searched by one-step-ahead squared error; a coarse grid is enough for
# series this short, and it keeps the fit deterministic.
_ALPHAS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
_BETAS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.7)
_PHIS = (0.8, 0.85, 0.9, 0.95, 0.98)
_GRID = np.array(list(itertools.product(_ALPHAS, _BETAS, _PHIS))).T


class DampedTrend(Model):
    name = "damped_trend"
    description = (
        "Holt's exponential smoothing with a damped additive trend (Gardner & McKenzie); "
        "smoothing and damping parameters chosen by one-step-ahead squared error."
    )
    min_points = 4

    def fit(self, history: History) -> Self:
        values = history.values
        alpha, beta, phi = _GRID
        level = np.full(alpha.shape, values[0])
        trend = np.full(alpha.shape, values[1] - values[0])
        sse = np.zeros(alpha.shape)
        for observed in values[1:]:
            expected = level + phi * trend
            sse += (observed - expected) ** 2
            new_level = alpha * observed + (1 - alpha) * expected
            trend = beta * (new_level - level) + (1 - beta) * phi * trend
            level = new_level
        best = int(np.argmin(sse))
        self.alpha, self.beta, self.phi = (float(p[best]) for p in _GRID)
        self.level, self.trend = float(level[best]), float(trend[best])
        return self

    def predict(self, horizon: int) -> np.ndarray:
        damping = np.cumsum(self.phi ** np.arange(1, horizon + 1))
        return self.level + self.trend * damping


class RidgeLags(Model):
    name = "ridge_lags"
    description = (
        "Ridge regression of each period's change on the two previous changes (standardised, "
        "alpha 1), forecast recursively and added to the last value."
    )
    min_points = 6
    lags = 2

    def fit(self, history: History) -> Self:
        from sklearn.linear_model import Ridge

        changes = np.diff(history.values)
        self.last = float(history.values[-1])
        self.mean, self.std = float(changes.mean()), float(changes.std())
        self.recent = list(self._standardise(changes[-self.lags :]))
        scaled = self._standardise(changes)
        rows = np.array([scaled[i - self.lags : i][::-1] for i in range(self.lags, len(scaled))])
        self.regression = Ridge(alpha=1.0).fit(rows, scaled[self.lags :])
        return self

    def _standardise(self, changes: np.ndarray) -> np.ndarray:
        # Equal changes carry no information for the lags: they standardise to zeros.
        return (changes - self.mean) / self.std if self.std > 0 else np.zeros_like(changes)

    def predict(self, horizon: int) -> np.ndarray:
        recent = list(self.recent)
        changes = []
        weights, intercept = self.regression.coef_, float(self.regression.intercept_)
        for _ in range(horizon):
            scaled = intercept + float(np.dot(weights, recent[::-1][: self.lags]))
            recent.append(scaled)
            changes.append(self.mean + scaled * self.std)
        return self.last + np.cumsum(changes)


AGE_GROUPS = ("aged_0_14", "aged_15_64", "aged_65_plus")


class AgeStructure(Model):
    name = "age_structure"
    description = (
        "Population projected through its age structure: each of the three age groups (0-14, "
        "15-64, 65+) follows its own damped trend, and the total changes as the groups do, "
        "weighted by their shares in the last period."
    )
    min_points = 4

    def applicable(self, history: History) -> bool:
        return (
            super().applicable(history)
            and all(group in history.components for group in AGE_GROUPS)
            and all(bool(np.all(history.components[g] > 0)) for g in AGE_GROUPS)
        )

    def fit(self, history: History) -> Self:
        self.last = float(history.values[-1])
        groups = {g: history.components[g] for g in AGE_GROUPS}
        total = sum(float(values[-1]) for values in groups.values())
        self.shares = {g: float(values[-1]) / total for g, values in groups.items()}
        self.last_groups = {g: float(values[-1]) for g, values in groups.items()}
        self.models = {
            g: DampedTrend().fit(History(history.periods, values)) for g, values in groups.items()
        }
        return self

    def predict(self, horizon: int) -> np.ndarray:
        growth = sum(
            self.shares[g] * self.models[g].predict(horizon) / self.last_groups[g]
            for g in AGE_GROUPS
        )
        return self.last * np.asarray(growth)


def _time(count: int, start: int = 0) -> np.ndarray:
    return np.arange(start, start + count, dtype=float).reshape(-1, 1)


def _line(regression: LinearRegression, start: int, count: int) -> np.ndarray:
    """The fitted line at the next ``count`` times, from its coefficients (sklearn's
    ``predict`` re-validates its input each call, which dominates on series this short)."""
    return np.asarray(regression.intercept_ + regression.coef_[0] * _time(count, start).ravel())


BASELINES: tuple[type[Model], ...] = (LastValue, Drift)
CANDIDATES: tuple[type[Model], ...] = (
    *BASELINES,
    LinearTrend,
    DampedTrend,
    LogLinear,
    RidgeLags,
    AgeStructure,
)
