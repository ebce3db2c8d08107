"""Prediction intervals calibrated on backtest errors, with no distribution assumed.

Each backtest error is made scale-free by the naive scale of its training window and by how
errors grow with the horizon, ``|e| / (scale * h**gamma)``; ``gamma`` is fitted to the medians of
the errors by horizon (clipped to 0.5..1.5, 1 when it cannot be fitted). The interval half-width
at horizon ``h`` is ``scale * h**gamma * q``, where ``q`` is the split-conformal quantile of the
normalised errors: the ``ceil((n+1)*level)``-th smallest of ``n``, which covers at least
``level`` of future errors exchangeable with the past ones.

That rank exists only with enough errors (4 for 80%, 19 for 95%). When it does not, the level is
reached by extending the largest level that is available with an exponential (Laplace) tail,
``q_95 = q_80 * ln(20) / ln(5)``, which is wider than a normal tail; the calibration says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LEVELS = (0.8, 0.95)
_GAMMA_RANGE = (0.5, 1.5)


@dataclass(frozen=True)
class Calibration:
    gamma: float
    quantiles: dict[float, float]
    error_count: int
    # "empirical" when the conformal rank exists, "exponential-tail" when it was extended.
    methods: dict[float, str]

    def half_width(self, level: float, horizon: int, scale: float) -> float:
        return float(scale * horizon**self.gamma * self.quantiles[level])


def calibrate(errors: np.ndarray, scales: np.ndarray) -> Calibration:
    """Calibrate from backtest ``errors`` (origins x horizons, NaN where unobserved)."""
    horizons = np.arange(1, errors.shape[1] + 1)
    scaled = np.abs(errors) / scales[:, None]
    gamma = _growth_exponent(scaled, horizons)
    normalised = (scaled / horizons[None, :] ** gamma)[~np.isnan(scaled)]
    quantiles, methods = _conformal_quantiles(np.sort(normalised))
    return Calibration(gamma, quantiles, len(normalised), methods)


def _growth_exponent(scaled: np.ndarray, horizons: np.ndarray) -> float:
    medians = [
        (h, float(np.nanmedian(column)))
        for h, column in zip(horizons, scaled.T, strict=True)
        if np.count_nonzero(~np.isnan(column)) >= 2
    ]
    usable = [(h, m) for h, m in medians if m > 0]
    if len(usable) < 2:
        return 1.0
    log_h = np.log([h for h, _ in usable])
    log_m = np.log([m for _, m in usable])
    slope = float(np.polyfit(log_h, log_m, 1)[0])
    return float(np.clip(slope, *_GAMMA_RANGE))


def _conformal_quantiles(ordered: np.ndarray) -> tuple[dict[float, float], dict[float, str]]:
    n = len(ordered)
    if n == 0:
        raise ValueError("no backtest errors to calibrate on")
    # The largest error covers n/(n+1) of future errors: the reference when no level is reached.
    reference_level, reference = n / (n + 1), float(ordered[-1])
    quantiles: dict[float, float] = {}
    methods: dict[float, str] = {}
    for level in LEVELS:
        rank = math.ceil((n + 1) * level)
        if rank <= n:
            quantiles[level], methods[level] = float(ordered[rank - 1]), "empirical"
            reference_level, reference = level, quantiles[level]
            continue
        ratio = math.log(1 - level) / math.log(1 - reference_level)
        quantiles[level], methods[level] = reference * ratio, "exponential-tail"
    return quantiles, methods


def cross_validated_coverage(errors: np.ndarray, scales: np.ndarray) -> dict[float, float | None]:
    """Observed coverage of the intervals, each origin's errors judged by intervals calibrated on
    the other origins only (a leave-one-origin-out check of the calibration)."""
    hits = dict.fromkeys(LEVELS, 0)
    total = 0
    horizons = np.arange(1, errors.shape[1] + 1)
    for row in range(errors.shape[0]):
        others = np.delete(np.arange(errors.shape[0]), row)
        if not len(others):
            continue
        calibration = calibrate(errors[others], scales[others])
        for h, error in zip(horizons, errors[row], strict=True):
            if np.isnan(error):
                continue
            total += 1
            for level in LEVELS:
                hits[level] += abs(error) <= calibration.half_width(level, int(h), scales[row])
    return {level: (hits[level] / total if total else None) for level in LEVELS}
