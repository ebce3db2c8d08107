"""The effect of a policy on an indicator: interrupted time series and difference-in-differences.

Interrupted time series (segmented regression): ``y = b0 + b1 t + b2 D + b3 D (t - t0)`` by least
squares, ``D`` = 1 from the policy's start; ``b2`` is the level change, ``b3`` the change of slope
per period, and the average effect over the post-period is ``b2 + b3 * mean(t - t0)``.

Difference-in-differences: every series is indexed to its own pre-period mean (or, when some
value is not positive, centred on it). The comparison regions are the ``COMPARISONS`` regions
whose indexed pre-period path is closest (RMSE) to the treated region's; the comparison is their
average. The estimate is the change of the treated-minus-comparison gap from the pre- to the
post-period, with a Welch t interval.

Both intervals are 95%, with standard errors inflated by ``sqrt((1 + r) / (1 - r))`` when the
lag-1 autocorrelation ``r`` of the residuals is positive: annual series are rarely independent,
and ignoring it makes intervals too narrow.

Placebo tests: the same estimator with a fake start in the middle of the pre-period, on
pre-period data only (it should find nothing), and for difference-in-differences, the estimator
applied to every comparison-pool region as if it were treated (a permutation p-value).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from chiiki_analytics.forecasting.errors import InsufficientData, PeriodOutOfRange
from chiiki_analytics.forecasting.series import History

LEVEL = 0.95
MIN_PRE = 4
MIN_POST = 2
MIN_PLACEBO_PRE = 3
COMPARISONS = 5
MIN_COMPARISONS = 2
_MAX_AUTOCORRELATION = 0.9


@dataclass(frozen=True)
class Estimate:
    value: float
    lower: float
    upper: float
    std_error: float
    df: float

    @property
    def excludes_zero(self) -> bool:
        return self.lower > 0 or self.upper < 0


@dataclass(frozen=True)
class Placebo:
    start_period: int
    estimate: Estimate

    @property
    def passed(self) -> bool:
        """A placebo passes when its interval includes zero: no effect where there was none."""
        return not self.estimate.excludes_zero


@dataclass(frozen=True)
class ItsResult:
    level_change: Estimate
    slope_change: Estimate
    average_effect: Estimate
    relative_effect_percent: float | None
    pre_periods: int
    post_periods: int
    residual_autocorrelation: float
    placebo: Placebo | None
    placebo_note: str | None
    # The pre-period line continued over every period: what the trend predicts without the
    # policy. Over the post-period, observed minus this averages to ``average_effect``.
    counterfactual: np.ndarray


@dataclass(frozen=True)
class Comparison:
    region: str
    pre_rmse: float


@dataclass(frozen=True)
class SpacePlacebo:
    p_value: float
    regions: int
    larger_or_equal: int


@dataclass(frozen=True)
class DidResult:
    estimate: Estimate
    relative_percent: Estimate | None
    scale: str
    comparisons: list[Comparison]
    pre_periods: int
    post_periods: int
    residual_autocorrelation: float
    placebo: Placebo | None
    placebo_note: str | None
    placebo_in_space: SpacePlacebo | None
    # The comparison's indexed path moved onto the treated series' pre-period gap, in the
    # treated series' units: over the post-period, observed minus this averages to ``estimate``.
    counterfactual: np.ndarray
    # The observed mean of the comparison regions, period by period.
    comparison: np.ndarray


def split_at(history: History, start: int, *, min_pre: int = MIN_PRE) -> tuple[int, int]:
    """Counts of observations before and from ``start``; refuses what cannot support an estimate."""
    if not len(history):
        raise InsufficientData("the indicator has no data for this region")
    first, last = history.periods[0], history.last_period
    if start <= first or start > last:
        raise PeriodOutOfRange(
            f"the policy starts in {start}, but the data cover {first}-{last}: an effect needs "
            "observations on both sides of the start"
        )
    pre = sum(1 for p in history.periods if p < start)
    post = len(history) - pre
    if pre < min_pre:
        raise InsufficientData(
            f"{pre} observation(s) before the start in {start} (from {first}); at least "
            f"{min_pre} are needed to estimate the trend the policy would interrupt"
        )
    if post < MIN_POST:
        raise InsufficientData(
            f"{post} observation(s) from the start in {start}; at least {MIN_POST} are needed "
            "to estimate an effect"
        )
    return pre, post


# -- interrupted time series ---------------------------------------------------------------------


def interrupted_time_series(history: History, start: int) -> ItsResult:
    pre, post = split_at(history, start)
    coefficients, covariance, df, rho = _segmented_fit(history.values, pre)
    offsets = np.arange(post, dtype=float)
    weights = np.array([0.0, 0.0, 1.0, float(offsets.mean())])
    average = float(weights @ coefficients)
    average_se = math.sqrt(float(weights @ covariance @ weights))
    trend = coefficients[0] + coefficients[1] * np.arange(pre + post, dtype=float)
    baseline = float(trend[pre:].mean())
    placebo, note = _placebo(history.head(pre), _its_placebo)
    return ItsResult(
        level_change=_estimate(coefficients[2], math.sqrt(covariance[2, 2]), df),
        slope_change=_estimate(coefficients[3], math.sqrt(covariance[3, 3]), df),
        average_effect=_estimate(average, average_se, df),
        relative_effect_percent=average / baseline * 100 if baseline > 0 else None,
        pre_periods=pre,
        post_periods=post,
        residual_autocorrelation=rho,
        placebo=placebo,
        placebo_note=note,
        counterfactual=trend,
    )


def _segmented_fit(values: np.ndarray, pre: int) -> tuple[np.ndarray, np.ndarray, int, float]:
    t = np.arange(len(values), dtype=float)
    after = (t >= pre).astype(float)
    design = np.column_stack([np.ones_like(t), t, after, after * (t - pre)])
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    residuals = values - design @ coefficients
    df = len(values) - design.shape[1]
    variance = float(residuals @ residuals) / df
    rho, inflation = _autocorrelation_inflation(residuals)
    covariance = variance * np.linalg.inv(design.T @ design) * inflation**2
    return coefficients, covariance, df, rho


def _its_placebo(history: History, start: int) -> Estimate:
    pre, _ = split_at(history, start, min_pre=MIN_PLACEBO_PRE)
    if len(history) - 4 < 2:
        raise InsufficientData(
            f"a placebo interrupted time series needs at least 6 observations before the "
            f"start; there are {len(history)}"
        )
    coefficients, covariance, df, _ = _segmented_fit(history.values, pre)
    post = len(history) - pre
    weights = np.array([0.0, 0.0, 1.0, (post - 1) / 2])
    return _estimate(
        float(weights @ coefficients), math.sqrt(float(weights @ covariance @ weights)), df
    )


# -- difference-in-differences -------------------------------------------------------------------


def difference_in_differences(
    treated: History, donors: Mapping[str, History], start: int
) -> DidResult:
    pre, post = split_at(treated, start)
    pool = _aligned_pool(treated, donors)
    if len(pool) < MIN_COMPARISONS:
        raise InsufficientData(
            f"{len(pool)} comparison region(s) have data for every period "
            f"{treated.periods[0]}-{treated.last_period}; at least {MIN_COMPARISONS} are needed"
        )
    relative = bool(np.all(treated.values > 0)) and all(bool(np.all(v > 0)) for v in pool.values())
    did = _did(treated.values, pool, pre, relative)
    unit = float(treated.values[:pre].mean()) if relative else 1.0
    placebo, note = _placebo(
        treated.head(pre),
        lambda head, fake: (
            _did(
                head.values,
                {r: v[: len(head)] for r, v in pool.items()},
                _pre_count(head, fake),
                relative,
            ).estimate
        ),
    )
    return DidResult(
        estimate=_scaled(did.estimate, unit),
        relative_percent=_scaled(did.estimate, 100.0) if relative else None,
        scale="relative" if relative else "absolute",
        comparisons=did.comparisons,
        pre_periods=pre,
        post_periods=post,
        residual_autocorrelation=did.rho,
        placebo=Placebo(placebo.start_period, _scaled(placebo.estimate, unit)) if placebo else None,
        placebo_note=note,
        placebo_in_space=_space_placebo(did.estimate.value, pool, pre, relative),
        counterfactual=_did_counterfactual(treated.values, pool, did.comparisons, pre, relative),
        comparison=np.mean([pool[c.region] for c in did.comparisons], axis=0),
    )


def _did_counterfactual(
    treated: np.ndarray,
    pool: Mapping[str, np.ndarray],
    chosen: list[Comparison],
    pre: int,
    relative: bool,
) -> np.ndarray:
    base = float(treated[:pre].mean())
    path = np.mean([_indexed(pool[c.region], pre, relative) for c in chosen], axis=0)
    path = path + float((_indexed(treated, pre, relative) - path)[:pre].mean())
    return np.asarray(base * path if relative else base + path)


@dataclass(frozen=True)
class _Did:
    estimate: Estimate
    comparisons: list[Comparison]
    rho: float


def _aligned_pool(treated: History, donors: Mapping[str, History]) -> dict[str, np.ndarray]:
    pool = {}
    for region, history in donors.items():
        values = [history.value_at(period) for period in treated.periods]
        if all(v is not None for v in values):
            pool[region] = np.array(values, dtype=float)
    return pool


def _indexed(values: np.ndarray, pre: int, relative: bool) -> np.ndarray:
    base = values[:pre].mean()
    return np.asarray(values / base if relative else values - base)


def _did(treated: np.ndarray, pool: Mapping[str, np.ndarray], pre: int, relative: bool) -> _Did:
    target = _indexed(treated, pre, relative)
    indexed = {region: _indexed(values, pre, relative) for region, values in pool.items()}
    fits = [
        Comparison(region, float(np.sqrt(np.mean((target[:pre] - path[:pre]) ** 2))))
        for region, path in indexed.items()
    ]
    chosen = sorted(fits, key=lambda c: (c.pre_rmse, c.region))[:COMPARISONS]
    comparison = np.mean([indexed[c.region] for c in chosen], axis=0)
    gap = target - comparison
    before, after = gap[:pre], gap[pre:]
    value = float(after.mean() - before.mean())
    centred = np.concatenate([before - before.mean(), after - after.mean()])
    rho, inflation = _autocorrelation_inflation(centred)
    se, df = _welch(before, after)
    return _Did(_estimate(value, se * inflation, df), chosen, rho)


def _welch(before: np.ndarray, after: np.ndarray) -> tuple[float, float]:
    v1, v2 = before.var(ddof=1) / len(before), after.var(ddof=1) / len(after)
    if v1 + v2 == 0:
        return 0.0, float(len(before) + len(after) - 2)
    df = (v1 + v2) ** 2 / (v1**2 / (len(before) - 1) + v2**2 / (len(after) - 1))
    return math.sqrt(v1 + v2), float(df)


def _space_placebo(
    estimate: float, pool: Mapping[str, np.ndarray], pre: int, relative: bool
) -> SpacePlacebo | None:
    if len(pool) <= MIN_COMPARISONS:
        return None
    placebo_effects = [
        _did(values, {r: v for r, v in pool.items() if r != region}, pre, relative).estimate.value
        for region, values in pool.items()
    ]
    larger = sum(abs(effect) >= abs(estimate) for effect in placebo_effects)
    return SpacePlacebo((1 + larger) / (1 + len(placebo_effects)), len(placebo_effects), larger)


# -- shared --------------------------------------------------------------------------------------


def _placebo(
    pre_history: History, estimator: Callable[[History, int], Estimate]
) -> tuple[Placebo | None, str | None]:
    """Run ``estimator`` with a fake start in the middle of the pre-period."""
    fake_index = math.ceil(len(pre_history) / 2)
    if fake_index < MIN_PLACEBO_PRE or len(pre_history) - fake_index < MIN_POST:
        return None, (
            f"a placebo needs at least {MIN_PLACEBO_PRE + MIN_POST} observations before the "
            f"start; there are {len(pre_history)}"
        )
    fake_start = pre_history.periods[fake_index]
    try:
        return Placebo(fake_start, estimator(pre_history, fake_start)), None
    except InsufficientData as exc:
        return None, str(exc)


def _pre_count(history: History, start: int) -> int:
    return sum(1 for p in history.periods if p < start)


def _autocorrelation_inflation(residuals: np.ndarray) -> tuple[float, float]:
    denominator = float(residuals @ residuals)
    if denominator == 0 or len(residuals) < 3:
        return 0.0, 1.0
    rho = float(residuals[1:] @ residuals[:-1]) / denominator
    bounded = min(max(rho, 0.0), _MAX_AUTOCORRELATION)
    return rho, math.sqrt((1 + bounded) / (1 - bounded))


def _estimate(value: float, std_error: float, df: float) -> Estimate:
    from scipy import stats  # here, not at import: the web process should not hold SciPy idle

    margin = float(stats.t.ppf(0.5 + LEVEL / 2, df)) * std_error
    return Estimate(float(value), float(value) - margin, float(value) + margin, std_error, df)


def _scaled(estimate: Estimate, factor: float) -> Estimate:
    return Estimate(
        estimate.value * factor,
        estimate.lower * factor,
        estimate.upper * factor,
        estimate.std_error * factor,
        estimate.df,
    )
