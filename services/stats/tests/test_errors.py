"""Every error case, in the common problem+json format."""

import pytest

from chiiki_devstack.pytest_plugin import serve_app
from chiiki_shared.db import session_scope

NOT_A_PERIOD = "is not a period (use 2020, FY2020, 2020Q1, 2020-03 or an e-Stat code)"
TWENTY_ONE = ",".join(f"{n:02d}000" for n in range(1, 22))
ELEVEN = ",".join(
    ["population.total"] * 5
    + [
        "vital.births",
        "vital.deaths",
        "migration.in",
        "migration.out",
        "migration.net",
        "land.area",
    ]
)


def problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"/problems/{code}")
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def fields(body: dict) -> list[str]:
    return [error["field"] for error in body["errors"]]


@pytest.mark.parametrize(
    ("path", "detail", "resource", "missing"),
    [
        ("/api/regions/99000", "No region with code 99000", "region", ["99000"]),
        ("/api/population/48000", "No region with code 48000", "region", ["48000"]),
        (
            "/api/comparison?regions=13000,98000,99000&indicators=population.total",
            "No region with code 98000, 99000",
            "region",
            ["98000", "99000"],
        ),
        ("/api/kpi?region=0120Z", "No region with code 0120Z", "region", ["0120Z"]),
        ("/api/livability/99999", "No region with code 99999", "region", ["99999"]),
        (
            "/api/indicators/population.nope",
            "No indicator with code population.nope",
            "indicator",
            ["population.nope"],
        ),
        (
            "/api/comparison?regions=13000&indicators=population.total,health.nope",
            "No indicator with code health.nope",
            "indicator",
            ["health.nope"],
        ),
        (
            "/api/statistics/summary?indicator=crime.total",
            "No indicator with code crime.total",
            "indicator",
            ["crime.total"],
        ),
        (
            "/api/livability?weights=safety.crimes_per_1000:1",
            "No indicator with code safety.crimes_per_1000",
            "indicator",
            ["safety.crimes_per_1000"],
        ),
        ("/api/datasets/0000000001", "No dataset 0000000001", "dataset", ["0000000001"]),
        (
            "/api/datasets/0000000001/observations",
            "No dataset 0000000001",
            "dataset",
            ["0000000001"],
        ),
    ],
)
async def test_unknown_things_are_404_naming_them(
    loaded, client, path, detail, resource, missing
) -> None:
    body = problem(await client.get(path), 404, "not-found")
    assert (body["detail"], body["resource"], body["missing"]) == (detail, resource, missing)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/api/population/ABC",
            {"path.code": "'ABC' is not a region code (5 characters, e.g. 13000 or 0120B)"},
        ),
        (
            "/api/regions/1300",
            {"path.code": "'1300' is not a region code (5 characters, e.g. 13000 or 0120B)"},
        ),
        (
            "/api/indicators/Population",
            {"path.code": "'Population' is not an indicator code (e.g. population.total)"},
        ),
        (
            "/api/population/13000?period=20x0",
            {"query.period": "'20x0' " + NOT_A_PERIOD},
        ),
        (
            "/api/population/13000?period=2020Q1",
            {"query.period": "'2020Q1' is not a year (use 2020, CY2020 or FY2020)"},
        ),
        (
            "/api/population/13000?from=2020&to=2010",
            {"query.from": "from (2020) is after to (2010)"},
        ),
        (
            "/api/population/13000?from=1800&to=2000",
            {"query.to": "at most 150 years per request, got 201"},
        ),
        (
            "/api/population/13000?period=2020&from=2010",
            {"query.period": "give either period or from/to, not both"},
        ),
        (
            "/api/population/13000?format=xml",
            {"query.format": "Input should be 'json', 'csv' or 'chartjs'"},
        ),
        (
            "/api/population/13000?format=geojson",
            {"query.format": "Input should be 'json', 'csv' or 'chartjs'"},
        ),
        (
            "/api/regions?level=municipality&format=geojson",
            {"query.format": "geojson has prefecture polygons only: use level=prefecture"},
        ),
        (
            "/api/livability?level=prefecture&format=topojson",
            {
                "query.format": "topojson has municipal and ward boundaries only: "
                "use format=geojson for prefectures"
            },
        ),
        (
            "/api/regions?format=topojson",
            {"query.format": "Input should be 'json', 'csv' or 'geojson'"},
        ),
        (
            "/api/population?level=city",
            {"query.level": "Input should be 'prefecture', 'municipality' or 'ward'"},
        ),
        (
            "/api/population/13000?indicators=labour.job_openings",
            {"query.indicators": "not population indicators: labour.job_openings"},
        ),
        ("/api/population/13000?lang=fr", {"query.lang": "Input should be 'ja' or 'en'"}),
        (
            "/api/population/13000?year=2020",
            {
                "query.year": "unknown parameter (accepted: "
                + "bom, format, from, indicators, lang, period, to)"
            },
        ),
        (
            "/api/livability?weights=health.hospitals_per_100k:abc",
            {"query.weights": "weight of health.hospitals_per_100k is not a number: 'abc'"},
        ),
        (
            "/api/livability?weights=health.hospitals_per_100k:-1",
            {"query.weights": "weight of health.hospitals_per_100k must be 0-100"},
        ),
        (
            "/api/livability?weights=health.hospitals_per_100k:101",
            {"query.weights": "weight of health.hospitals_per_100k must be 0-100"},
        ),
        (
            "/api/livability?weights=health.hospitals_per_100k:nan",
            {"query.weights": "weight of health.hospitals_per_100k must be 0-100"},
        ),
        (
            "/api/livability?weights=health.hospitals_per_100k",
            {"query.weights": "'health.hospitals_per_100k' is not indicator:weight"},
        ),
        (
            "/api/comparison?regions=" + TWENTY_ONE + "&indicators=population.total",
            {"query.regions": "at most 20 regions per request, got 21"},
        ),
        (
            "/api/comparison?regions=13000&indicators=" + ELEVEN,
            {"query.indicators": "at most 10 indicators per request, got 11"},
        ),
        ("/api/comparison?indicators=population.total", {"query.regions": "Field required"}),
        (
            "/api/comparison?regions=13000&indicators=population.total&national=maybe",
            {"query.national": "'maybe' is not one of: true, false"},
        ),
        ("/api/kpi", {"query.region": "Field required"}),
        (
            "/api/kpi?region=13000&sparkline=1",
            {"query.sparkline": "Input should be greater than or equal to 2"},
        ),
        (
            "/api/statistics/moving-average?indicator=population.total&region=13000&window=x",
            {
                "query.window": "Input should be a valid integer, "
                "unable to parse string as an integer"
            },
        ),
        (
            "/api/statistics/summary?indicator=population.total&regions=13000&level=prefecture",
            {"query.regions": "give either regions or level/parent, not both"},
        ),
        ("/api/regions?limit=5000", {"query.limit": "Input should be less than or equal to 1000"}),
        ("/api/regions?cursor=nonsense", {"query.cursor": "not a cursor this list issued"}),
        (
            "/api/datasets/census-c01-1920-2015/observations?limit=20000",
            {"query.limit": "Input should be less than or equal to 10000"},
        ),
        (
            "/api/datasets/census-c01-1920-2015/observations?cat05=1",
            {
                "query.cat05": "dataset census-c01-1920-2015 has no dimension cat05 "
                + "(it has: tab, cat01, area, time)"
            },
        ),
        (
            "/api/datasets/census-c01-1920-2015/observations?time=2020Q9",
            {"query.time": "'2020Q9' " + NOT_A_PERIOD},
        ),
        (
            "/api/datasets/census-c01-1920-2015/observations?area=13%20000",
            {"query.area": "'13 000' is not a classification code"},
        ),
        ("/api/datasets/bad%20id", {"path.stats_data_id": "'bad id' is not a statsDataId"}),
    ],
)
async def test_malformed_input_is_422_listing_the_fields(loaded, client, path, expected) -> None:
    body = problem(await client.get(path), 422, "validation-failed")
    assert {error["field"]: error["message"] for error in body["errors"]} == expected
    assert body["detail"] == "Invalid value for: " + ", ".join(expected)


async def test_all_problems_of_a_request_are_listed_together(loaded, client) -> None:
    body = problem(
        await client.get(
            "/api/comparison?regions=1300,13000&indicators=Bad&period=twenty&format=pdf"
        ),
        422,
        "validation-failed",
    )
    assert fields(body) == ["query.period", "query.regions", "query.indicators", "query.format"]
    assert body["detail"] == (
        "Invalid value for: query.period, query.regions, query.indicators, query.format"
    )


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (
            "population.total:1",
            "population.total cannot be scored (no direction); components: "
            "education.pupils_per_elementary_teacher, environment.recycling_rate, "
            "environment.waste_per_capita_per_day, health.clinics_per_100k, "
            "health.hospitals_per_100k, health.physicians_per_100k, labour.job_openings_ratio, "
            "welfare.nursery_waiting_children",
        ),
        (
            ",".join(
                f"{code}:0"
                for code in (
                    "labour.job_openings_ratio",
                    "health.hospitals_per_100k",
                    "health.clinics_per_100k",
                    "health.physicians_per_100k",
                    "education.pupils_per_elementary_teacher",
                    "environment.waste_per_capita_per_day",
                    "environment.recycling_rate",
                )
            ),
            "at least one weight must be above 0",
        ),
    ],
)
async def test_weights_must_make_an_index(loaded, client, weights: str, message: str) -> None:
    body = problem(await client.get(f"/api/livability?weights={weights}"), 422, "validation-failed")
    assert body["errors"] == [{"field": "query.weights", "message": message, "type": "value_error"}]


async def test_a_cursor_from_an_older_version_is_409(loaded, client, runtime, estat) -> None:
    from chiiki_stats import consumer

    url = "/api/datasets/census-c01-1920-2015/observations?limit=10"
    next_page = (await client.get(url)).json()["next"]
    for table in (
        estat.table("census-c01-1920-2015").where(lambda c: c["area"] != "47000"),
        estat.table("census-c01-1920-2015"),
    ):
        batches, payload = table.messages()
        for batch in batches:
            async with session_scope(runtime.sessions) as session:
                await consumer.stage_batch(session, batch)
        async with session_scope(runtime.sessions) as session:
            assert (await consumer.publish_version(session, payload)).status == "applied"
    body = problem(await client.get(next_page), 409, "cursor-expired")
    assert body["detail"].startswith("Dataset census-c01-1920-2015 changed to version ")


async def test_a_token_is_required_unless_anonymous_reads_are_open(loaded, platform) -> None:
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    async with serve_app(create_app(StatsSettings(anonymous_read=False))) as client:
        response = await client.get("/api/population/13000")
        bad = await client.get("/api/regions", headers={"Authorization": "Bearer not-a-jwt"})
        docs = await client.get("/api/stats/openapi.json")
    body = problem(response, 401, "authentication-required")
    assert response.headers["www-authenticate"].startswith('Bearer realm="chiiki"')
    assert body["detail"].startswith("An access token is required")
    problem(bad, 401, "invalid-token")
    assert docs.status_code == 200
    assert "/api/livability/{code}" in docs.json()["paths"]
