"""Evenly spaced histories: gaps and irregular spacing end a series, never interpolation."""

import pytest

from chiiki_analytics.forecasting.errors import PeriodOutOfRange
from chiiki_analytics.forecasting.series import evenly_spaced_tail


def test_a_missing_value_ends_the_series(real) -> None:
    # Okinawa was not surveyed in the 1945 census: its usable series starts in 1950.
    okinawa = real.history("census-c01-1920-2015", "0", "47000")
    assert okinawa.periods == tuple(range(1950, 2016, 5))
    assert okinawa.step == 5
    assert okinawa.values[0] == 914937


def test_a_change_of_spacing_keeps_the_recent_part() -> None:
    census = dict.fromkeys(range(1920, 2010, 5), 1.0)
    annual = dict.fromkeys(range(2009, 2021), 2.0)
    history = evenly_spaced_tail({**census, **annual})
    assert history.periods == tuple(range(2009, 2021))


def test_components_are_kept_only_where_observed_throughout() -> None:
    history = evenly_spaced_tail(
        {2001: 1, 2002: 2, 2003: 3}, {"a": {2001: 1, 2002: 1, 2003: 1}, "b": {2001: 1}}
    )
    assert list(history.components) == ["a"]


def test_until_keeps_what_was_known_then(real) -> None:
    tokyo = real.history("ssdse-b-2023", "A1101", "13000")
    known = tokyo.until(2017)
    assert known.periods == tuple(range(2009, 2018))
    assert known.future_periods(3) == [2018, 2019, 2020]
    assert tokyo.value_at(2018) == 13887000


@pytest.mark.parametrize("as_of", [2008, 2021])
def test_until_refuses_periods_outside_the_data(real, as_of: int) -> None:
    tokyo = real.history("ssdse-b-2023", "A1101", "13000")
    with pytest.raises(PeriodOutOfRange, match=f"as_of {as_of} is outside the data"):
        tokyo.until(as_of)
