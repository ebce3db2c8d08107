"""Model selection: by backtest MASE, never a model that loses to the naive baselines."""

import numpy as np
import pytest

from chiiki_analytics.forecasting.errors import SeriesTooShort
from chiiki_analytics.forecasting.forecast import make_forecast
from chiiki_analytics.forecasting.selection import procedure_errors, select_model
from chiiki_analytics.forecasting.series import History


def test_the_chosen_model_never_loses_to_a_baseline(real) -> None:
    for code in ("A1101", "A4103", "X6BD5E3"):
        for history in real.prefectures("ssdse-b-2023", code).values():
            selection = select_model(history, 3)
            scores = {name: bt.mase() for name, bt in selection.backtests.items()}
            assert scores[selection.chosen.name] <= min(scores["naive"], scores["drift"])


def test_ties_go_to_the_baseline() -> None:
    constant = History(tuple(range(2000, 2010)), np.full(10, 3.0))
    assert select_model(constant, 2).chosen.name == "naive"


def test_a_series_too_short_is_refused() -> None:
    short = History(tuple(range(2000, 2006)), np.arange(6.0))
    with pytest.raises(
        SeriesTooShort, match=r"has 6 evenly spaced observations; .* at least 7"
    ) as e:
        select_model(short, 1)
    # One condition, one code: a short series is the API's insufficient-data like any other.
    assert e.value.code == "insufficient-data"


def test_demanding_models_are_tried_only_with_enough_origins(real) -> None:
    tokyo = real.history("ssdse-b-2023", "A1101", "13000", ages=True)
    assert "ridge_lags" in select_model(tokyo, 3).backtests
    assert "ridge_lags" not in select_model(tokyo.head(9), 3).backtests
    assert "age_structure" in select_model(tokyo, 3).backtests


def test_procedure_errors_start_from_the_naive_model(real) -> None:
    selection = select_model(real.history("ssdse-b-2023", "A1101", "01000"), 3)
    errors = procedure_errors(selection)
    # Nothing is observable at the first origin, so the procedure would have used naive.
    assert errors[0].tolist() == selection.backtests["naive"].errors[0].tolist()
    assert errors.shape == selection.backtest.errors.shape


def test_a_forecast_reports_every_candidate_and_the_baselines(real) -> None:
    forecast = make_forecast(real.history("ssdse-b-2023", "A1101", "13000", ages=True), 5)
    assert {"naive", "drift", forecast.model} <= set(forecast.candidates)
    assert [p.period for p in forecast.predictions] == [2021, 2022, 2023, 2024, 2025]
    assert all(p.intervals[0.95][0] <= p.intervals[0.8][0] <= p.point for p in forecast.predictions)
    assert all(p.point <= p.intervals[0.8][1] <= p.intervals[0.95][1] for p in forecast.predictions)
    widths = [p.intervals[0.8][1] - p.intervals[0.8][0] for p in forecast.predictions]
    assert widths == sorted(widths)
    assert [p.backtested for p in forecast.predictions] == [True] * 5


def test_horizons_beyond_the_backtest_are_marked(real) -> None:
    short = real.history("ssdse-b-2023", "A1101", "13000").head(9)
    forecast = make_forecast(short, 8)
    # Origins 4..8 leave at most 5 periods to check a forecast against.
    assert [p.backtested for p in forecast.predictions] == [True] * 5 + [False] * 3
