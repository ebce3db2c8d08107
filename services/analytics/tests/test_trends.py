"""Changes, compound growth and trend breaks."""

import numpy as np
import pytest

from chiiki_analytics.forecasting.errors import SeriesTooShort
from chiiki_analytics.forecasting.series import History
from chiiki_analytics.forecasting.trends import cagr, changes, trend


def line(values: list[float], start: int = 2000, step: int = 1) -> History:
    return History(tuple(range(start, start + step * len(values), step)), np.array(values))


def test_changes_in_units_and_percent() -> None:
    found = changes(line([100.0, 110.0, 99.0, 0.0, 5.0]))
    assert [(c.period, c.change) for c in found] == [
        (2001, 10.0),
        (2002, -11.0),
        (2003, -99.0),
        (2004, 5.0),
    ]
    assert [c.rate for c in found] == pytest.approx([10.0, -10.0, -100.0, None])


def test_cagr_compounds_per_year_not_per_step() -> None:
    # Census steps are five years: 100 -> 121 over ten years is about 1.92% a year.
    assert cagr(line([100.0, 110.0, 121.0], step=5)) == pytest.approx((1.21**0.1 - 1) * 100)
    assert cagr(line([100.0, 121.0])) == pytest.approx(21.0)


def test_cagr_is_undefined_through_zero() -> None:
    assert cagr(line([0.0, 5.0, 10.0])) is None
    assert cagr(line([-3.0, 5.0])) is None


def test_a_straight_line_has_no_break() -> None:
    found = trend(line([3.0 + 2 * t + 0.1 * (-1) ** t for t in range(12)]))
    assert found.breaks == []
    assert found.segments[0].slope_per_year == pytest.approx(2.0, abs=0.05)


def test_a_change_of_slope_is_found_where_it_happens() -> None:
    # Rising by 1 to 2007, then a jump of +5 in 2008 and falling by 3 a year.
    values = [10.0 + t + 0.05 * (-1) ** t for t in range(8)]
    values += [values[-1] + 5 - 3 * t + 0.05 * (-1) ** t for t in range(8)]
    found = trend(line(values))
    assert [b.period for b in found.breaks] == [2008]
    assert found.breaks[0].slope_before == pytest.approx(1.0, abs=0.05)
    assert found.breaks[0].slope_after == pytest.approx(-3.0, abs=0.05)
    assert found.breaks[0].level_shift == pytest.approx(5 - 1, abs=0.3)
    assert found.bic_by_breaks[1] < found.bic_by_breaks[0]


def test_the_war_breaks_tokyos_census_population(real) -> None:
    found = trend(real.history("census-c01-1920-2015", "0", "13000"))
    first = found.breaks[0]
    assert first.period == 1945
    assert first.level_shift < -3_000_000  # Tokyo lost over 3 million people by 1945


def test_a_trend_needs_four_values() -> None:
    with pytest.raises(SeriesTooShort, match="at least 4"):
        trend(line([1.0, 2.0, 3.0]))
