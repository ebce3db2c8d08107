"""Forecasts through the API, on the real series served by a real stats service."""

import socket

import httpx
import pytest

from chiiki_analytics.forecasting.forecast import forecast_as_of

TOKYO = "13000"
SSDSE = "ssdse-b-2023"


async def test_a_forecast_has_history_intervals_model_and_accuracy(api, login, real) -> None:
    response = await api.get(
        "/api/forecasts",
        params={"indicator": "population.total", "region": TOKYO, "horizon": 5},
        headers=login("alice"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["indicator"]["code"] == "population.total"
    assert body["region"] == {
        "code": TOKYO,
        "level": "prefecture",
        "name_ja": "東京都",
        "name_en": "Tokyo",
    }
    expected = real.values(SSDSE, "A1101", TOKYO)
    # Periods as stats labels them (SSDSE: fiscal years), the integer year beside each.
    assert body["history"] == [
        {"period": f"FY{year}", "year": year, "value": value} for year, value in expected.items()
    ]
    assert body["period_kinds"] == ["fiscal_year"]
    assert [(p["period"], p["year"]) for p in body["forecasts"]] == [
        (f"FY{year}", year) for year in range(2021, 2026)
    ]
    for point in body["forecasts"]:
        low80, high80 = point["intervals"]["80"]["lower"], point["intervals"]["80"]["upper"]
        low95, high95 = point["intervals"]["95"]["lower"], point["intervals"]["95"]["upper"]
        assert low95 <= low80 <= point["value"] <= high80 <= high95
    assert set(body["baselines"]) == {"naive", "drift"}
    chosen = next(c for c in body["candidates"] if c["chosen"])
    assert chosen["name"] == body["model"]["name"]
    assert chosen["mase"] <= min(
        body["baselines"]["naive"]["mase"], body["baselines"]["drift"]["mase"]
    )
    assert "age_structure" in {c["name"] for c in body["candidates"]}
    assert set(body["intervals"]["observed_coverage"]) == {"80", "95"}
    assert "ssdse-b-2023@" in body["data_version"]
    assert "SSDSE（独立行政法人統計センター）" in body["attribution"]


async def test_as_of_forecasts_with_the_data_known_then(api, login, real) -> None:
    response = await api.get(
        "/api/forecasts",
        params={"indicator": "vital.deaths", "region": "01000", "horizon": 3, "as_of": 2017},
        headers=login("alice"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["as_of"] == 2017
    assert (body["history"][-1]["period"], body["history"][-1]["year"]) == ("FY2017", 2017)
    actual = real.values(SSDSE, "A4200", "01000")
    assert [(p["period"], p["year"], p["actual"]) for p in body["forecasts"]] == [
        (f"FY{year}", year, actual[year]) for year in (2018, 2019, 2020)
    ]
    # The same numbers as the modelling code gives on the committed real series.
    expected = forecast_as_of(real.history(SSDSE, "A4200", "01000"), 3, 2017)
    assert [p["value"] for p in body["forecasts"]] == pytest.approx(
        [p.point for p in expected.predictions], rel=1e-12
    )
    assert body["model"]["name"] == expected.model


@pytest.mark.parametrize(
    ("params", "resource"),
    [
        ({"indicator": "population.nothing", "region": TOKYO}, "indicator"),
        ({"indicator": "population.total", "region": "99000"}, "region"),
    ],
)
async def test_unknown_indicator_or_region_is_404(api, login, problem, params, resource) -> None:
    body = problem(
        await api.get("/api/forecasts", params=params, headers=login("a")), 404, "not-found"
    )
    assert body["resource"] == resource


@pytest.mark.parametrize("horizon", [0, 11])
async def test_horizon_out_of_range_is_422(api, login, problem, horizon) -> None:
    params = {"indicator": "population.total", "region": TOKYO, "horizon": horizon}
    body = problem(
        await api.get("/api/forecasts", params=params, headers=login("a")), 422, "validation-failed"
    )
    assert [e["field"] for e in body["errors"]] == ["query.horizon"]


@pytest.mark.parametrize(
    ("as_of", "code", "detail"),
    [
        (2030, "period-out-of-range", "as_of 2030 is outside the data (2009-2020)"),
        (2005, "period-out-of-range", "as_of 2005 is outside the data (2009-2020)"),
        (2012, "insufficient-data", "the series has 4 evenly spaced observations"),
    ],
)
async def test_as_of_outside_the_data_or_too_early_is_422(
    api, login, problem, as_of, code, detail
) -> None:
    params = {"indicator": "population.total", "region": TOKYO, "as_of": as_of}
    body = problem(await api.get("/api/forecasts", params=params, headers=login("a")), 422, code)
    assert body["detail"].startswith(detail)


async def test_reading_needs_a_token_unless_anonymous_reads_are_open(api, problem) -> None:
    params = {"indicator": "population.total", "region": TOKYO}
    problem(await api.get("/api/forecasts", params=params), 401, "authentication-required")


async def test_trends_report_changes_cagr_and_breaks(api, login, real) -> None:
    response = await api.get(
        "/api/analytics/trends",
        params={"indicator": "population.total", "region": TOKYO},
        headers=login("a"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    values = real.values(SSDSE, "A1101", TOKYO)
    assert body["cagr"]["percent"] == pytest.approx(
        ((values[2020] / values[2009]) ** (1 / 11) - 1) * 100
    )
    assert body["period_kinds"] == ["fiscal_year"]
    assert (body["cagr"]["from"], body["cagr"]["to"]) == ("FY2009", "FY2020")
    assert (body["cagr"]["from_year"], body["cagr"]["to_year"]) == (2009, 2020)
    assert body["changes"][0] == {
        "period": "FY2010",
        "year": 2010,
        "previous_period": "FY2009",
        "previous_year": 2009,
        "change": values[2010] - values[2009],
        "rate": pytest.approx((values[2010] / values[2009] - 1) * 100),
    }
    assert "BIC" in body["method"]


async def test_anomalies_name_tokyos_2020_migration_drop(api, login) -> None:
    response = await api.get(
        "/api/analytics/anomalies", params={"indicator": "migration.in"}, headers=login("a")
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body["regions"]) == 47
    assert body["change_unit"] == "percent"
    tokyo = next(r for r in body["regions"] if r["region"]["code"] == TOKYO)
    assert tokyo["region"]["level"] == "prefecture"
    assert (tokyo["period"], tokyo["year"]) == ("FY2020", 2020)
    assert tokyo["unusual"]
    assert "robust standard deviations below" in tokyo["reasons"][0]
    assert "Iglewicz" in body["method"]


async def _forecast_with_stats_at(url: str, login, trust_tokens) -> httpx.Response:
    from chiiki_analytics.config import AnalyticsSettings
    from chiiki_analytics.main import create_app
    from chiiki_devstack.pytest_plugin import serve_app

    app = create_app(AnalyticsSettings(stats_internal_url=url, stats_timeout_seconds=1))
    async with serve_app(app) as client:
        trust_tokens(app)
        return await client.get(
            "/api/forecasts",
            params={"indicator": "population.total", "region": TOKYO},
            headers=login("a"),
        )


async def test_stats_refusing_connections_is_503(platform, login, problem, trust_tokens) -> None:
    from chiiki_devstack.pytest_plugin import free_port

    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: the connection is refused
    response = await _forecast_with_stats_at(url, login, trust_tokens)
    body = problem(response, 503, "stats-unavailable")
    assert body["detail"] == "The stats service is not available; try again shortly"


async def test_stats_not_answering_is_503(platform, login, problem, trust_tokens) -> None:
    # Connections are accepted (by the kernel's backlog) and never answered.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        response = await _forecast_with_stats_at(url, login, trust_tokens)
    body = problem(response, 503, "stats-unavailable")
    assert body["detail"] == "The stats service did not answer in time; try again shortly"


async def test_analyses_carry_an_etag_answer_304_head_and_compress(api, login) -> None:
    """Trends and anomalies answer like stats' data: ETag, Cache-Control, 304, gzip, HEAD."""
    headers, params = login("a"), {"indicator": "migration.in"}
    first = await api.get("/api/analytics/anomalies", params=params, headers=headers)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = await api.get(
        "/api/analytics/anomalies",
        params=params,
        headers={**headers, "Accept-Encoding": "gzip"},
    )
    assert (again.headers["etag"], again.headers["x-cache"]) == (etag, "HIT")
    assert again.headers["content-encoding"] == "gzip"
    assert again.json() == first.json()
    unchanged = await api.get(
        "/api/analytics/anomalies", params=params, headers={**headers, "If-None-Match": etag}
    )
    assert (unchanged.status_code, unchanged.content) == (304, b"")
    head = await api.head("/api/analytics/anomalies", params=params, headers=headers)
    assert (head.status_code, head.content, head.headers["etag"]) == (200, b"", etag)
    trend = await api.get(
        "/api/analytics/trends", params={**params, "region": TOKYO}, headers=headers
    )
    assert trend.headers["etag"] not in ("", etag)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/forecasts", {"indicator": "population.total", "region": TOKYO}),
        ("/api/analytics/trends", {"indicator": "population.total", "region": TOKYO}),
        ("/api/analytics/anomalies", {"indicator": "migration.in"}),
    ],
)
async def test_a_lang_that_changes_nothing_keeps_the_answer_and_its_etag(
    api, login, problem, path, params
) -> None:
    # These answers name things in both languages (name_ja, name_en): no label depends on lang.
    ja = await api.get(path, params=params, headers=login("a"))
    en = await api.get(path, params={**params, "lang": "en"}, headers=login("a"))
    assert (ja.status_code, en.status_code) == (200, 200), en.text
    assert (en.headers["etag"], en.content) == (ja.headers["etag"], ja.content)
    assert ja.json()["region" if "region" in params else "indicator"]["name_en"]
    response = await api.get(path, params={**params, "lang": "de"}, headers=login("a"))
    body = problem(response, 422, "validation-failed")
    assert [e["field"] for e in body["errors"]] == ["query.lang"]


async def test_unknown_query_parameters_are_refused(api, login, problem) -> None:
    params = {"indicator": "migration.in", "regoin": TOKYO}
    response = await api.get("/api/analytics/anomalies", params=params, headers=login("a"))
    body = problem(response, 422, "validation-failed")
    assert [e["field"] for e in body["errors"]] == ["query.regoin"]


async def test_the_answer_says_why_its_model_won_next_to_the_runners_up(api, login) -> None:
    response = await api.get(
        "/api/forecasts",
        params={"indicator": "population.total", "region": "01000", "horizon": 3},
        headers=login("alice"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    model, candidates = body["model"], {c["name"]: c for c in body["candidates"]}
    runners_up = model["runners_up"]
    assert [r["name"] for r in runners_up] == sorted(
        (name for name in candidates if name != model["name"]), key=lambda n: candidates[n]["mase"]
    )
    assert [r["mase"] for r in runners_up] == [candidates[r["name"]]["mase"] for r in runners_up]
    assert candidates[model["name"]]["mase"] <= runners_up[0]["mase"]
    best = runners_up[0]
    assert f"runners-up: {best['name']} {best['mase']:.3f}" in model["reason"]
