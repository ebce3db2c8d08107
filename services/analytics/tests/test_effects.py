"""Policy effects: interrupted time series and difference-in-differences, their placebos, and
the data they refuse."""

import numpy as np
import pytest

from chiiki_analytics.forecasting.effects import (
    InsufficientData,
    PeriodOutOfRange,
    difference_in_differences,
    interrupted_time_series,
    split_at,
)
from chiiki_analytics.forecasting.series import History

WIGGLE = np.array([0.3, -0.2, 0.1, -0.4, 0.2, 0.0, -0.1, 0.3, -0.3, 0.1, 0.2, -0.2])


def years(values, start: int = 2009) -> History:
    return History(tuple(range(start, start + len(values))), np.asarray(values, dtype=float))


def test_segmented_regression_recovers_level_and_slope_changes() -> None:
    t = np.arange(12.0)
    after = t >= 6
    values = 100 + 2 * t + after * (10 + 1.5 * (t - 6))
    result = interrupted_time_series(years(values), 2015)
    assert (result.pre_periods, result.post_periods) == (6, 6)
    assert result.level_change.value == pytest.approx(10.0)
    assert result.slope_change.value == pytest.approx(1.5)
    # Average over the six post years: 10 + 1.5 * mean(0..5).
    assert result.average_effect.value == pytest.approx(10 + 1.5 * 2.5)
    assert result.level_change.std_error == pytest.approx(0.0, abs=1e-9)


def test_its_interval_covers_the_effect_under_noise() -> None:
    t = np.arange(12.0)
    values = 100 + 2 * t + (t >= 6) * 10 + WIGGLE
    result = interrupted_time_series(years(values), 2015)
    assert result.level_change.lower < 10 < result.level_change.upper
    assert result.level_change.excludes_zero
    assert result.placebo is not None
    assert result.placebo.start_period == 2012
    assert result.placebo.passed


def donors(effect: float = 0.0) -> tuple[History, dict[str, History]]:
    """Six comparison series on a common path, and a treated one on it with ``effect`` added
    (as a share) from 2015."""
    base = 1000 * (1 + 0.02 * np.arange(12)) + 10 * WIGGLE
    pool = {f"{i:02d}000": years(base * (1 + i / 10)) for i in range(1, 7)}
    treated = base * 2 * np.where(np.arange(12) >= 6, 1 + effect, 1.0)
    return years(treated), pool


def test_did_recovers_a_relative_effect() -> None:
    treated, pool = donors(effect=0.05)
    result = difference_in_differences(treated, pool, 2015)
    assert result.scale == "relative"
    assert result.relative_percent is not None
    # Every donor is the common path scaled, so the comparison is exact: 5% of the mean.
    post = treated.values[6:] / treated.values[:6].mean() / 1.05
    assert result.relative_percent.value == pytest.approx(5 * post.mean())
    assert len(result.comparisons) == 5


def test_did_chooses_comparisons_by_pre_period_fit(real) -> None:
    panel = real.prefectures("ssdse-b-2023", "A1101")
    tokyo = panel.pop("13000")
    result = difference_in_differences(tokyo, panel, 2015)
    rmses = [c.pre_rmse for c in result.comparisons]
    assert rmses == sorted(rmses)
    chosen = {c.region for c in result.comparisons}
    indexed = {r: h.values[:6] / h.values[:6].mean() for r, h in panel.items()}
    target = tokyo.values[:6] / tokyo.values[:6].mean()
    best = sorted(indexed, key=lambda r: np.sqrt(np.mean((target - indexed[r]) ** 2)))[:5]
    assert chosen == set(best)
    assert result.placebo_in_space is not None
    assert result.placebo_in_space.regions == 46
    assert 0 < result.placebo_in_space.p_value <= 1


def test_no_effect_gives_an_interval_around_zero() -> None:
    treated, pool = donors(effect=0.0)
    result = difference_in_differences(treated, pool, 2015)
    assert result.estimate.lower <= 0 <= result.estimate.upper


def test_values_that_are_not_all_positive_are_compared_in_units() -> None:
    treated = years(np.arange(12.0) - 5 + WIGGLE)
    pool = {f"{i:02d}000": years(np.arange(12.0) - 5 + i * WIGGLE[::-1]) for i in range(1, 4)}
    result = difference_in_differences(treated, pool, 2015)
    assert (result.scale, result.relative_percent) == ("absolute", None)


@pytest.mark.parametrize(
    ("start", "error", "message"),
    [
        (2011, InsufficientData, "2 observation\\(s\\) before the start in 2011"),
        (2020, InsufficientData, "1 observation\\(s\\) from the start in 2020"),
        (2009, PeriodOutOfRange, "the data cover 2009-2020"),
        (2025, PeriodOutOfRange, "the data cover 2009-2020"),
    ],
)
def test_too_few_periods_are_refused_with_the_reason(start, error, message) -> None:
    with pytest.raises(error, match=message):
        split_at(years(np.arange(12.0) + 1), start)


def test_did_needs_two_comparison_regions_with_complete_data() -> None:
    treated, pool = donors()
    gappy = {code: years(h.values[2:], start=2011) for code, h in pool.items()}
    with pytest.raises(InsufficientData, match="0 comparison region"):
        difference_in_differences(treated, gappy, 2015)


def test_a_placebo_is_skipped_with_a_reason_when_the_pre_period_is_short() -> None:
    t = np.arange(8.0)
    result = interrupted_time_series(years(100 + t + WIGGLE[:8]), 2013)
    assert result.placebo is None
    assert (
        result.placebo_note
        == "a placebo needs at least 5 observations before the start; there are 4"
    )
