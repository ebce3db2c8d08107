"""Rolling-origin backtests and their scores, checked by hand."""

import numpy as np
import pytest

from chiiki_analytics.forecasting.backtest import naive_scale, rolling_origin
from chiiki_analytics.forecasting.candidates import LastValue
from chiiki_analytics.forecasting.series import History

VALUES = [10.0, 12.0, 11.0, 15.0, 14.0, 18.0]


def history() -> History:
    return History(tuple(range(2000, 2006)), np.array(VALUES))


def test_each_origin_sees_only_its_past() -> None:
    backtest = rolling_origin(LastValue, history(), horizon=2, first=3)
    assert backtest.origins.tolist() == [3, 4, 5]
    # origin 3 forecasts 11 (the last value seen) for 15 and 14; origin 5 has one step left.
    assert backtest.errors[0].tolist() == [4.0, 3.0]
    assert backtest.errors[1].tolist() == [-1.0, 3.0]
    assert backtest.errors[2, 0] == 4.0
    assert np.isnan(backtest.errors[2, 1])
    assert backtest.error_count == 5


def test_mase_scales_by_the_naive_error_of_the_data_seen() -> None:
    backtest = rolling_origin(LastValue, history(), horizon=2, first=3)
    assert backtest.scales.tolist() == pytest.approx([1.5, 7 / 3, 2.0])
    expected = np.mean([4 / 1.5, 3 / 1.5, 1 / (7 / 3), 3 / (7 / 3), 4 / 2])
    assert backtest.mase() == pytest.approx(expected)
    assert backtest.mase_by_horizon() == pytest.approx(
        [np.mean([4 / 1.5, 1 / (7 / 3), 4 / 2]), np.mean([3 / 1.5, 3 / (7 / 3)])]
    )


def test_mape_is_in_percent_and_undefined_with_zero_actuals() -> None:
    backtest = rolling_origin(LastValue, history(), horizon=2, first=3)
    expected = np.mean([4 / 15, 3 / 14, 1 / 14, 3 / 18, 4 / 18]) * 100
    assert backtest.mape() == pytest.approx(expected)
    zeros = History(tuple(range(6)), np.array([1.0, 2, 1, 0, 1, 0]))
    assert rolling_origin(LastValue, zeros, horizon=1, first=3).mape() is None


def test_a_constant_window_still_has_a_positive_scale() -> None:
    assert naive_scale(np.array([5.0, 5.0, 5.0])) > 0
