"""The components-of-change forecasts: no look-ahead, and the arithmetic on a panel by hand."""

import numpy as np
import pytest

from chiiki_analytics.forecasting.components import (
    AGE_GROUPS,
    SSDSE_B_CODES,
    VARIANTS,
    ComponentsPanel,
    aged,
    held,
    held_residual,
)
from chiiki_analytics.forecasting.errors import InsufficientData, PeriodOutOfRange

SSDSE = "ssdse-b-2023"
CENSUS = ("census-c01-1920-2015", "0")
NATION = "00000"
Series = dict[str, dict[int, float | None]]


def real_panel(real, change=lambda year, value: value) -> ComponentsPanel:
    def series(table: str, code: str) -> Series:
        return {
            area: {y: (change(y, v) if v else v) for y, v in real.values(table, code, area).items()}
            for area in real.areas(table, code)
            if area != NATION
        }

    codes = (*SSDSE_B_CODES.values(), *AGE_GROUPS)
    return ComponentsPanel.of({code: series(SSDSE, code) for code in codes}, series(*CENSUS))


def test_data_after_as_of_changes_no_forecast_made_as_of_it(real) -> None:
    rng = np.random.default_rng(14)
    panel = real_panel(real)
    changed = real_panel(real, lambda year, v: v * rng.uniform(0.5, 1.5) if year > 2010 else v)
    for name, variant in VARIANTS.items():
        for years in (5, 10):
            before = variant(panel.until(2010), years)
            np.testing.assert_array_equal(before, variant(changed.until(2010), years), name)
        # ...while the data after 2010 really differ, and a later forecast sees them.
        later = variant(changed.until(2015), 5)
        assert not np.allclose(later, variant(panel.until(2015), 5)), name


def hand_panel() -> ComponentsPanel:
    """One region, FY2009-2010: 1,000 people, 10 births, 20 deaths, 30 in, 10 out a year."""
    one = np.array([[1000.0, 1000.0]])
    return ComponentsPanel(
        regions=("01000",),
        years=(2009, 2010),
        population=one,
        births=one / 100,
        deaths=one / 50,
        moved_in=one * 0.03,
        moved_out=one / 100,
        aged_65_plus=np.array([[200.0, 220.0]]),
        women_15_64=np.array([[300.0, 290.0]]),
        known_age=one,
        census={2005: np.array([950.0]), 2010: np.array([1000.0])},
    )


def test_held_rates_compound_a_year_at_a_time() -> None:
    np.testing.assert_allclose(held(hand_panel(), 2), [[1010.0, 1020.1]])


def test_the_residual_makes_the_held_rates_the_census_growth_when_they_span_the_interval() -> None:
    # The held years are the only flows since the 2005 census, so the residual cancels them.
    assert held_residual(hand_panel(), 5)[0, -1] == pytest.approx(1000 * 1000 / 950)


def test_ageing_trends_the_shares_the_held_rates_apply_to() -> None:
    death_rate = (20 / 200 + 20 / 220) / 2
    birth_rate = (10 / 300 + 10 / 290) / 2
    first = 1000 * (1 + birth_rate * 0.28 - death_rate * 0.24 + 0.02)
    second = first * (1 + birth_rate * 0.27 - death_rate * 0.26 + 0.02)
    np.testing.assert_allclose(aged(hand_panel(), 2), [[first, second]])


def test_the_components_refuse_what_the_data_cannot_give() -> None:
    panel = hand_panel()
    with pytest.raises(PeriodOutOfRange):
        panel.until(2008)
    with pytest.raises(InsufficientData, match="2 years of flows"):
        held(panel.until(2009), 5)
    with pytest.raises(InsufficientData, match="census of 2005"):
        held_residual(ComponentsPanel(**{**vars(panel), "census": {}}), 5)
