"""Choosing a model per series by backtest, never one that loses to the naive baselines.

Every applicable candidate is backtested on the same origins. The chosen model has the lowest
MASE over all origins and horizons; a candidate is chosen over the best baseline (last value or
drift) only if its MASE is strictly lower, so ties go to the simpler baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiiki_analytics.forecasting.backtest import Backtest, rolling_origin
from chiiki_analytics.forecasting.candidates import CANDIDATES, LastValue, Model
from chiiki_analytics.forecasting.errors import SeriesTooShort
from chiiki_analytics.forecasting.series import History

# The first backtest origin sees at least this many observations, and there are at least
# MIN_ORIGINS origins, so the shortest series that can be forecast has MIN_OBSERVATIONS values.
MIN_TRAIN = 4
MIN_ORIGINS = 3
MIN_OBSERVATIONS = MIN_TRAIN + MIN_ORIGINS
# A model that needs more than MIN_TRAIN values moves every model's first origin later; it is
# tried only when that still leaves this many origins.
ORIGINS_FOR_DEMANDING_MODELS = 5


@dataclass(frozen=True)
class Selection:
    chosen: type[Model]
    backtests: dict[str, Backtest]
    baseline: str

    @property
    def backtest(self) -> Backtest:
        return self.backtests[self.chosen.name]


def select_model(
    history: History, horizon: int, candidates: tuple[type[Model], ...] = CANDIDATES
) -> Selection:
    n = len(history)
    if n < MIN_OBSERVATIONS:
        raise SeriesTooShort(
            f"the series has {n} evenly spaced observations; forecasting needs at least "
            f"{MIN_OBSERVATIONS} (backtests on {MIN_ORIGINS} origins of {MIN_TRAIN}+ values)"
        )
    usable = [
        model
        for model in candidates
        if model().applicable(history)
        and (model.min_points <= MIN_TRAIN or n - model.min_points >= ORIGINS_FOR_DEMANDING_MODELS)
    ]
    first = max(MIN_TRAIN, *(model.min_points for model in usable))
    backtest_horizon = min(horizon, n - first)
    backtests = {
        model.name: rolling_origin(model, history, backtest_horizon, first) for model in usable
    }
    baselines = [model for model in usable if model.is_baseline]
    best_baseline = min(baselines, key=lambda model: backtests[model.name].mase())
    chosen = min(usable, key=lambda model: (backtests[model.name].mase(), not model.is_baseline))
    return Selection(chosen, backtests, best_baseline.name)


def procedure_errors(selection: Selection) -> np.ndarray:
    """The errors the whole procedure would have made at each backtest origin.

    At each origin the model is the one with the lowest MASE on the backtest errors already
    observable then (the naive baseline while there are none). Intervals calibrated on these
    errors carry the risk of choosing the wrong model, which the chosen model's own errors hide:
    it was chosen because its errors were small.
    """
    backtests = selection.backtests
    reference = backtests[LastValue.name]
    errors = np.full(reference.errors.shape, np.nan)
    for row, origin in enumerate(reference.origins):
        errors[row] = backtests[_best_known(backtests, int(origin))].errors[row]
    return errors


def _best_known(backtests: dict[str, Backtest], origin: int) -> str:
    best, best_score = LastValue.name, np.inf
    for name, backtest in backtests.items():
        horizons = np.arange(1, backtest.errors.shape[1] + 1)
        observable = backtest.origins[:, None] + horizons[None, :] <= origin
        scaled = backtest.scaled_errors[observable & ~np.isnan(backtest.errors)]
        if len(scaled) and float(scaled.mean()) < best_score:
            best, best_score = name, float(scaled.mean())
    return best
