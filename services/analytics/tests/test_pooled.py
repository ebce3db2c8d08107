"""The pooled census forecasts: no look-ahead, selection against the baselines, calibration."""

import numpy as np
import pytest

from chiiki_analytics.forecasting.errors import InsufficientData
from chiiki_analytics.forecasting.pooled import CensusPanel
from chiiki_analytics.forecasting.pooled_forecast import evaluate, pooled_forecast
from chiiki_analytics.forecasting.pooled_selection import select

CENSUS = ("census-c01-1920-2015", "0")
NATION = "00000"


def census(real) -> dict[str, dict[int, float | None]]:
    return {area: real.values(*CENSUS, area) for area in real.areas(*CENSUS) if area != NATION}


def test_data_after_as_of_changes_no_forecast_made_as_of_it(real) -> None:
    series = census(real)
    rng = np.random.default_rng(7)
    changed = {
        area: {y: (v * rng.uniform(0.5, 1.5) if y > 2000 and v else v) for y, v in by_year.items()}
        for area, by_year in series.items()
    }
    before = pooled_forecast(CensusPanel.of(series).until(2000), 2)
    after = pooled_forecast(CensusPanel.of(changed).until(2000), 2)
    assert before.selection.reason() == after.selection.reason()
    np.testing.assert_array_equal(before.points, after.points)
    for level in (0.8, 0.95):
        np.testing.assert_array_equal(before.intervals[level][0], after.intervals[level][0])
        np.testing.assert_array_equal(before.intervals[level][1], after.intervals[level][1])
    # ...while the data after 2000 really differ, and a later forecast sees them.
    later = pooled_forecast(CensusPanel.of(changed).until(2010), 1).points
    assert not np.allclose(later, pooled_forecast(CensusPanel.of(series).until(2010), 1).points)


def test_the_panel_keeps_the_census_years_of_a_mixed_series() -> None:
    # population.total as stats serves it: census years, then annual estimates from 2009.
    series = {
        "01000": {
            1995: 5.69e6,
            2000: 5.68e6,
            2005: 5.63e6,
            2009: 5.52e6,
            2010: 5.51e6,
            2011: 5.49e6,
        },
        "02000": {2000: 1.48e6, 2005: 1.44e6, 2009: 1.38e6, 2010: 1.37e6, 2011: 1.36e6},
    }
    panel = CensusPanel.of(series)
    assert panel.periods == (1995, 2000, 2005, 2010)
    assert np.isnan(panel.log_values[1, 0])
    assert panel.log_values[0, -1] == pytest.approx(np.log(5.51e6))


def test_the_chosen_method_never_loses_to_a_baseline(real) -> None:
    panel = CensusPanel.of(census(real))
    for as_of in (1995, 2000, 2005, 2010, 2015):
        selection = select(panel.until(as_of), 2)
        scores = {name: bt.mape() for name, bt in selection.backtests.items()}
        assert scores[selection.chosen.name] <= min(scores["naive"], scores["drift"])
        assert selection.chosen.name in selection.reason()


def test_ties_go_to_the_baseline() -> None:
    flat = {f"{code:02d}000": dict.fromkeys(range(1950, 2020, 5), 1000.0) for code in (1, 2, 3)}
    assert select(CensusPanel.of(flat), 1).chosen.name == "naive"


def test_too_few_census_values_are_refused() -> None:
    short = {"01000": {y: 1000.0 + y for y in range(1990, 2020, 5)}}
    with pytest.raises(InsufficientData, match="need 10 census values five years apart"):
        pooled_forecast(CensusPanel.of(short), 1)


def test_intervals_cover_about_as_often_as_they_say(real) -> None:
    """Rolling origins 1990-2010 on the census up to 2015, each with the data up to it only."""
    rows = evaluate(CensusPanel.of(census(real)), 1, 1990)
    (selected,) = [row for row in rows if row.method == "selected"]
    assert selected.origins == 5
    assert selected.coverage is not None
    assert 0.76 <= selected.coverage[0.8] <= 0.86
    assert 0.92 <= selected.coverage[0.95] <= 0.98
