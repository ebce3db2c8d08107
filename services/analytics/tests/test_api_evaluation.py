"""The backtest table of the pooled census forecasts through the API, on the real series."""

import pytest

from chiiki_analytics.forecasting.pooled import CensusPanel
from chiiki_analytics.forecasting.pooled_forecast import evaluate
from chiiki_analytics.forecasting.pooled_selection import select

URL = "/api/forecasts/evaluation"
NATION = "00000"


def served_census(real, until: int) -> CensusPanel:
    """population.total as stats serves it in these tests: census c01, then SSDSE from 2009."""
    series = {}
    for area in real.areas("census-c01-1920-2015", "0"):
        if area == NATION:
            continue
        values = {
            y: v for y, v in real.values("census-c01-1920-2015", "0", area).items() if y < 2009
        }
        values |= real.values("ssdse-b-2023", "A1101", area)
        series[area] = values
    return CensusPanel.of(series).until(until)


async def test_the_table_is_the_procedure_run_as_of_each_origin(api, login, real) -> None:
    response = await api.get(
        URL, params={"indicator": "population.total", "as_of": 2015}, headers=login("alice")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    panel = served_census(real, 2015)
    selection = select(panel, 2)
    # The 2015 value stats serves is SSDSE's (fiscal year): the answer says the kinds mix.
    assert (body["census_periods"], body["census_years"]) == (["1920", "FY2015"], [1920, 2015])
    assert body["period_kinds"] == ["calendar_year", "fiscal_year"]
    assert body["chosen"] == selection.chosen.name
    assert body["reason"] == selection.reason()
    # The winner first, its backtest error next to the runners-up'.
    ranked = [(m["method"], m["mape"]) for m in body["selection"]]
    assert ranked == [
        (bt.method, pytest.approx(bt.mape(), rel=1e-12)) for bt in selection.ranking()
    ]
    assert [m["chosen"] for m in body["selection"]].count(True) == 1
    expected = evaluate(panel, 2)
    assert [(r["method"], r["horizon_years"], r["origins"]) for r in body["backtest"]] == [
        (row.method, row.horizon * 5, row.origins) for row in expected
    ]
    assert [r["mape"] for r in body["backtest"]] == pytest.approx([r.mape for r in expected])
    selected = [r for r in body["backtest"] if r["method"] == "selected"]
    assert [r["horizon_years"] for r in selected] == [5, 10]
    for row in selected:
        assert set(row["coverage"]) == {"80", "95"}
        assert 0.5 < row["coverage"]["80"] < row["coverage"]["95"] <= 1
    assert (body["first_origin"], body["first_origin_year"]) == ("1990", 1990)
    assert "census-c01-1920-2015@" in body["data_version"]


async def test_the_table_answers_304_to_its_etag(api, login) -> None:
    params = {"indicator": "population.total"}
    first = await api.get(URL, params=params, headers=login("alice"))
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    again = await api.get(URL, params=params, headers={**login("alice"), "If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    other = await api.get(URL, params={**params, "as_of": 2010}, headers=login("alice"))
    assert other.headers["etag"] != etag
    assert other.json()["census_years"] == [1920, 2010]


async def test_an_indicator_without_census_history_is_422(api, login, problem) -> None:
    response = await api.get(URL, params={"indicator": "vital.deaths"}, headers=login("alice"))
    body = problem(response, 422, "insufficient-data")
    assert "census values five years apart" in body["detail"]


async def test_as_of_before_the_data_is_422(api, login, problem) -> None:
    response = await api.get(
        URL, params={"indicator": "population.total", "as_of": 1900}, headers=login("alice")
    )
    problem(response, 422, "period-out-of-range")


async def test_an_unknown_indicator_is_404(api, login, problem) -> None:
    response = await api.get(URL, params={"indicator": "population.nothing"}, headers=login("a"))
    assert problem(response, 404, "not-found")["resource"] == "indicator"
