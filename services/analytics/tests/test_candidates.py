"""Each candidate model: exact forecasts where the answer is known, sane ones on real series."""

import numpy as np
import pytest

from chiiki_analytics.forecasting.candidates import (
    CANDIDATES,
    AgeStructure,
    DampedTrend,
    Drift,
    LastValue,
    LinearTrend,
    LogLinear,
    RidgeLags,
)
from chiiki_analytics.forecasting.series import History


def series(*values: float, start: int = 2000, **components: list[float]) -> History:
    periods = tuple(range(start, start + len(values)))
    return History(
        periods,
        np.array(values, dtype=float),
        {name: np.array(v, dtype=float) for name, v in components.items()},
    )


def test_naive_repeats_the_last_value() -> None:
    assert LastValue().fit(series(1, 2, 4)).predict(3).tolist() == [4, 4, 4]


def test_drift_adds_the_average_change() -> None:
    assert Drift().fit(series(1, 2, 4)).predict(3).tolist() == [5.5, 7.0, 8.5]


def test_linear_trend_continues_a_straight_line() -> None:
    predicted = LinearTrend().fit(series(1, 3, 5, 7, 9)).predict(2)
    assert predicted == pytest.approx([11, 13], abs=1e-9)


def test_log_linear_continues_constant_growth() -> None:
    values = [100 * 1.1**t for t in range(6)]
    predicted = LogLinear().fit(series(*values)).predict(2)
    assert predicted == pytest.approx([100 * 1.1**6, 100 * 1.1**7], rel=1e-9)


def test_log_linear_needs_positive_values() -> None:
    assert not LogLinear().applicable(series(3, 2, 0, 1))
    assert LogLinear().applicable(series(3, 2, 1))


def test_ridge_on_lags_continues_constant_changes() -> None:
    # Equal changes standardise to zero: the model predicts the mean change, exactly.
    predicted = RidgeLags().fit(series(*range(0, 40, 5))).predict(3)
    assert predicted.tolist() == [40, 45, 50]


def test_damped_trend_keeps_a_constant_series_constant() -> None:
    assert DampedTrend().fit(series(7, 7, 7, 7, 7)).predict(4).tolist() == [7, 7, 7, 7]


def test_damped_trend_increments_shrink_by_phi() -> None:
    model = DampedTrend().fit(series(10, 13, 16, 19, 22, 25, 28))
    steps = np.diff(np.concatenate([[model.level], model.predict(5)]))
    assert steps[1:] / steps[:-1] == pytest.approx([model.phi] * 4)
    assert 0.8 <= model.phi < 1
    assert 0 < model.alpha <= 1


def test_age_structure_moves_with_its_age_groups() -> None:
    history = series(
        100,
        100,
        100,
        100,
        aged_0_14=[20, 20, 20, 20],
        aged_15_64=[60, 60, 60, 60],
        aged_65_plus=[20, 20, 20, 20],
    )
    assert AgeStructure().fit(history).predict(2).tolist() == [100, 100]


def test_age_structure_needs_the_age_groups() -> None:
    assert not AgeStructure().applicable(series(1, 2, 3, 4))


def test_age_structure_on_real_population(real) -> None:
    tokyo = real.history("ssdse-b-2023", "A1101", "13000", ages=True)
    assert AgeStructure().applicable(tokyo)
    predicted = AgeStructure().fit(tokyo).predict(5)
    assert np.all(np.isfinite(predicted))
    # Tokyo grew every year 2009-2020; a projection through its age groups keeps it within 5%.
    assert np.all(np.abs(predicted / tokyo.values[-1] - 1) < 0.05)


@pytest.mark.parametrize("model", CANDIDATES, ids=lambda m: m.name)
def test_every_model_forecasts_real_series(model, real) -> None:
    for code in ("A1101", "A4200", "X6BD5E3"):
        history = real.history("ssdse-b-2023", code, "01000", ages=code == "A1101")
        if not model().applicable(history):
            continue
        predicted = model().fit(history).predict(3)
        assert predicted.shape == (3,)
        assert np.all(np.isfinite(predicted))
