"""Rolling-origin backtests of the pooled census methods, and the choice among them.

At an origin the method sees the census columns up to it and forecasts the next ``h``; the
error of each region is kept. A method is judged on the last ``RECENT_ORIGINS`` origins whose
outcome is known (the recent regime: the decline after 2005 is nothing like the growth of the
1960s), by the mean absolute percentage error over all regions and horizons. As in the
per-series selection, a method is chosen over the better baseline only if it is strictly better.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chiiki_analytics.forecasting.pooled import BY_NAME, METHODS, CensusPanel, PooledMethod, require

RECENT_ORIGINS = 4


@dataclass(frozen=True)
class PooledBacktest:
    """Log errors (actual - forecast) at origins (axis 0), horizons (1), regions (2)."""

    method: str
    origins: tuple[int, ...]
    log_errors: np.ndarray

    def ape(self) -> np.ndarray:
        """Absolute percentage errors, in percent."""
        return np.asarray(np.abs(np.expm1(-self.log_errors)) * 100)

    def mape(self) -> float:
        return float(np.nanmean(self.ape()))

    def mape_by_horizon(self) -> list[float | None]:
        ape = self.ape()
        return [
            float(np.nanmean(ape[:, h])) if np.any(~np.isnan(ape[:, h])) else None
            for h in range(ape.shape[1])
        ]


def backtest(panel: CensusPanel, method: PooledMethod, horizon: int, first: int) -> PooledBacktest:
    """``method`` at every origin that sees ``first`` columns or more and has an outcome."""
    logs, n = panel.log_values, len(panel)
    origins = list(range(first, n))
    errors = np.full((len(origins), horizon, len(panel.regions)), np.nan)
    for row, origin in enumerate(origins):
        steps = min(horizon, n - origin)
        predicted = method.method(logs[:, :origin], steps)
        errors[row, :steps] = (logs[:, origin : origin + steps] - predicted).T
    return PooledBacktest(method.name, tuple(panel.periods[o - 1] for o in origins), errors)


@dataclass(frozen=True)
class PooledSelection:
    chosen: PooledMethod
    baseline: str
    # Every method's backtest on the recent origins, the basis of the choice.
    backtests: dict[str, PooledBacktest]

    @property
    def backtest(self) -> PooledBacktest:
        return self.backtests[self.chosen.name]

    def ranking(self) -> list[PooledBacktest]:
        return sorted(self.backtests.values(), key=lambda bt: bt.mape())

    def reason(self) -> str:
        scores = ", ".join(f"{bt.method} {bt.mape():.2f}%" for bt in self.ranking())
        origins = self.backtest.origins
        rule = (
            "lowest"
            if not self.chosen.is_baseline
            else "no method beat the better baseline, so the baseline"
        )
        return (
            f"{self.chosen.name}: {rule} backtest MAPE over the {len(origins)} latest origins "
            f"({origins[0]}-{origins[-1]}) and every prefecture ({scores})"
        )


def select(panel: CensusPanel, horizon: int) -> PooledSelection:
    """Backtest every method on the same recent origins and choose the best."""
    needed = max(method.min_periods for method in METHODS)
    require(panel, needed + RECENT_ORIGINS)
    first = len(panel) - RECENT_ORIGINS
    backtests = {m.name: backtest(panel, m, horizon, first) for m in METHODS}
    baselines = [m for m in METHODS if m.is_baseline]
    best_baseline = min(baselines, key=lambda m: backtests[m.name].mape())
    chosen = min(METHODS, key=lambda m: (backtests[m.name].mape(), not m.is_baseline))
    return PooledSelection(BY_NAME[chosen.name], best_baseline.name, backtests)
