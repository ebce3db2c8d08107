"""Unusual latest changes: modified z-scores against the region's history and its peers."""

import numpy as np
import pytest

from chiiki_analytics.forecasting.anomalies import assess, robust_score


def test_robust_score_uses_median_and_mad() -> None:
    score = robust_score(20.0, np.array([1.0, 2, 3, 4, 5, 6, 7]))
    assert score is not None
    assert (score.median, score.spread) == (4.0, pytest.approx(1.4826 * 2))
    assert score.z == pytest.approx(16 / (1.4826 * 2))


def test_a_zero_mad_falls_back_to_the_mean_absolute_deviation() -> None:
    score = robust_score(3.0, np.array([1.0, 1, 1, 1, 1, 2]))
    assert score is not None
    assert score.spread == pytest.approx(1.2533 * (1 / 6))


def test_no_score_without_enough_reference_or_spread() -> None:
    assert robust_score(1.0, np.array([1.0, 2, 3])) is None
    assert robust_score(1.0, np.full(6, 2.0)) is None


def test_the_2020_drop_of_migration_into_tokyo_is_unusual(real) -> None:
    panel = real.prefectures("ssdse-b-2023", "A5101")
    results = {a.region: a for a in assess(panel)}
    tokyo = results["13000"]
    assert tokyo.unusual
    assert tokyo.change == pytest.approx(
        (panel["13000"].values[-1] / panel["13000"].values[-2] - 1) * 100
    )
    assert tokyo.own is not None
    assert tokyo.own.z < -3.5
    assert "below this region's own earlier changes" in tokyo.reasons[0]
    assert tokyo.reasons[0].startswith("The 2019-2020 change of -6.12%")


def test_temperature_changes_are_compared_in_degrees(real) -> None:
    panel = real.prefectures("ssdse-b-2023", "X6BD5E3")
    hokkaido = next(a for a in assess(panel, relative=False) if a.region == "01000")
    values = panel["01000"].values
    assert hokkaido.change == pytest.approx(values[-1] - values[-2])


def test_results_are_ordered_most_unusual_first(real) -> None:
    results = assess(real.prefectures("ssdse-b-2023", "A1101"))
    flags = [a.unusual for a in results]
    assert flags == sorted(flags, reverse=True)
    assert len(results) == 47
