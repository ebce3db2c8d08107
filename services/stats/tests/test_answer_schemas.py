"""The answers the dashboard reads are what their published schemas say: each real answer of the
recorded data validates against its response model (the generated TypeScript types come from
these models, so a model that drifted from the answer would lie to the frontend). The models are
closed: a member an answer carries and its model does not name fails here too."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, ValidationError

from chiiki_stats import schemas
from chiiki_stats.main import create_app

CROSS = "/api/population?period=2020"
TOKYO_MUNICIPAL = "level=municipality&parent=13000&period=2020"
SHARE = "population.aged_65_plus_share"
COMPARED = f"/api/comparison?regions=13000,27000&indicators=population.total,{SHARE}&from=2010"
CORRELATION = f"/api/statistics/correlation?x=population.total&y={SHARE}&period=2020"
GROWTH = "/api/statistics/growth?indicator=population.total&region=13000"
AVERAGE = "/api/statistics/moving-average?indicator=population.total&region=13000"
SUMMARY = "/api/statistics/summary?indicator=population.total&period=2020"
TOTAL_MAP = "/api/indicators/population.total/cross-section?period=2020"

# Every route with a response schema, in each media type it offers (CSV is text), at the
# prefecture and the municipal level, in English where the labels change.
ANSWERS: list[tuple[str, type[BaseModel]]] = [
    # regions
    ("/api/regions?q=とうきょう&limit=10", schemas.RegionList),
    ("/api/regions?level=municipality&prefecture=13000&limit=5", schemas.RegionList),
    ("/api/regions?level=prefecture&format=geojson", schemas.FeatureCollection),
    ("/api/regions/00000", schemas.RegionDetail),
    ("/api/regions/13000", schemas.RegionDetail),
    ("/api/regions/13101", schemas.RegionDetail),
    ("/api/regions/13100", schemas.RegionDetail),
    # indicators
    ("/api/indicators", schemas.IndicatorList),
    ("/api/indicators?limit=5", schemas.IndicatorList),
    ("/api/indicators/population.total", schemas.IndicatorDetail),
    (f"/api/indicators/{SHARE}", schemas.IndicatorDetail),
    ("/api/indicators/vital.natural_change", schemas.IndicatorDetail),
    (TOTAL_MAP, schemas.IndicatorCrossSection),
    (f"{TOTAL_MAP}&level=municipality&parent=13000&lang=en", schemas.IndicatorCrossSection),
    (f"{TOTAL_MAP}&format=chartjs&lang=en&sort=desc&top=5", schemas.ChartData),
    (f"{TOTAL_MAP}&format=geojson", schemas.FeatureCollection),
    (f"{TOTAL_MAP}&level=municipality&parent=13000&format=geojson", schemas.FeatureCollection),
    (f"{TOTAL_MAP}&level=municipality&parent=13000&format=topojson", schemas.Topology),
    # datasets
    ("/api/datasets", schemas.DatasetList),
    ("/api/datasets?limit=2", schemas.DatasetList),
    ("/api/datasets/census-c01-1920-2015", schemas.DatasetDetail),
    ("/api/datasets/census-c01-1920-2015/observations?limit=5", schemas.ObservationPage),
    ("/api/datasets/0003445099/observations?limit=5&area=13101", schemas.ObservationPage),
    # boundaries
    ("/api/boundaries/ward", schemas.Topology),
    ("/api/boundaries/municipality?format=geojson", schemas.FeatureCollection),
    # population
    ("/api/population/13000", schemas.PopulationSeries),
    ("/api/population/13101?lang=en", schemas.PopulationSeries),
    (
        "/api/population/13000?indicators=population.aged_0_14,population.aged_65_plus"
        "&format=chartjs",
        schemas.ChartData,
    ),
    ("/api/population/13101?format=chartjs&lang=en", schemas.ChartData),
    (CROSS, schemas.PopulationCrossSection),
    (f"/api/population?{TOKYO_MUNICIPAL}&lang=en", schemas.PopulationCrossSection),
    (
        "/api/population?level=ward&period=2020&indicators=population.total",
        schemas.PopulationCrossSection,
    ),
    (f"{CROSS}&format=chartjs", schemas.ChartData),
    (f"{CROSS}&format=geojson", schemas.FeatureCollection),
    (f"/api/population?{TOKYO_MUNICIPAL}&format=geojson&lang=en", schemas.FeatureCollection),
    (f"/api/population?{TOKYO_MUNICIPAL}&format=topojson", schemas.Topology),
    ("/api/population/00000/pyramid", schemas.Pyramid),
    ("/api/population/00000/pyramid?period=2020&format=chartjs", schemas.ChartData),
    ("/api/population/00000/pyramid?period=2020&format=chartjs&lang=en", schemas.ChartData),
    # kpi
    ("/api/kpi?region=13000", schemas.Kpis),
    ("/api/kpi?region=00000&indicators=population.total", schemas.Kpis),
    ("/api/kpi?region=13101&lang=en", schemas.Kpis),
    # statistics
    (SUMMARY, schemas.Distribution),
    (f"{SUMMARY}&level=municipality&parent=13000", schemas.Distribution),
    (f"{SUMMARY}&regions=13000,27000,01000", schemas.Distribution),
    (CORRELATION, schemas.Correlation),
    (f"{CORRELATION}&level=municipality&parent=13000", schemas.Correlation),
    (f"{CORRELATION}&regions=13000,27000", schemas.Correlation),
    (f"{CORRELATION}&format=chartjs&lang=en", schemas.ChartData),
    (GROWTH, schemas.Growth),
    (f"{GROWTH}&from=2020&to=2020", schemas.Growth),
    ("/api/statistics/growth?indicator=population.total&region=13101", schemas.Growth),
    (f"{GROWTH}&format=chartjs", schemas.ChartData),
    (AVERAGE, schemas.MovingAverage),
    (
        "/api/statistics/moving-average?indicator=population.total&region=13101",
        schemas.MovingAverage,
    ),
    (f"{AVERAGE}&format=chartjs&lang=en", schemas.ChartData),
    # livability
    ("/api/livability/components", schemas.LivabilityComponents),
    ("/api/livability", schemas.LivabilityIndex),
    (f"/api/livability?{TOKYO_MUNICIPAL}", schemas.LivabilityIndex),
    ("/api/livability?format=chartjs", schemas.ChartData),
    (f"/api/livability?{TOKYO_MUNICIPAL}&format=chartjs&lang=en", schemas.ChartData),
    ("/api/livability?level=prefecture&format=geojson", schemas.FeatureCollection),
    ("/api/livability?level=municipality&format=geojson", schemas.FeatureCollection),
    (f"/api/livability?{TOKYO_MUNICIPAL}&format=topojson", schemas.Topology),
    ("/api/livability/13000", schemas.RegionLivability),
    ("/api/livability/13101?period=2020", schemas.RegionLivability),
    ("/api/livability/13000?format=chartjs", schemas.ChartData),
    ("/api/livability/13101?period=2020&format=chartjs&lang=en", schemas.ChartData),
    # comparison
    (COMPARED, schemas.Comparison),
    (
        "/api/comparison?regions=13101,13102&indicators=population.total&from=2015",
        schemas.Comparison,
    ),
    (f"{COMPARED}&format=chartjs", schemas.ChartData),
    (
        "/api/comparison?regions=13101&indicators=population.total&from=2015&format=chartjs"
        "&lang=en",
        schemas.ChartData,
    ),
]


@pytest.mark.parametrize(("url", "model"), ANSWERS, ids=[url for url, _ in ANSWERS])
async def test_the_answer_validates_against_its_model(loaded, client, url, model) -> None:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    model.model_validate(response.json())


async def test_a_kpi_card_names_its_change_and_rank(loaded, client) -> None:
    body = (await client.get("/api/kpi?region=13000&indicators=population.total")).json()
    (card,) = schemas.Kpis.model_validate(body).kpis
    assert card.latest is not None
    assert card.change is not None
    assert card.change.to == card.latest.period
    assert card.rank is not None
    assert (card.rank.rank, card.rank.of) == (1, 47)


async def test_irregular_years_chart_as_points_and_regular_ones_under_labels(
    loaded, client
) -> None:
    # Censuses five years apart and then yearly values: {x, y} points and no labels.
    trend = await client.get("/api/population/13000?indicators=population.total&format=chartjs")
    irregular = schemas.ChartData.model_validate(trend.json())
    assert irregular.labels == []
    assert all(isinstance(point, schemas.ChartPoint) for point in irregular.datasets[0].data)
    pyramid = schemas.ChartData.model_validate(
        (await client.get("/api/population/00000/pyramid?period=2020&format=chartjs")).json()
    )
    assert pyramid.labels
    assert all(not isinstance(value, schemas.ChartPoint) for value in pyramid.datasets[0].data)


def test_a_drifted_answer_fails_its_model() -> None:
    card = {
        "indicator": {
            "code": "population.total",
            "name_ja": "総人口",
            "name_en": "Total population",
            "category": "population",
            "unit": "人",
            "unit_en": "persons",
            "higher_is_better": None,
        },
        "latest": None,
        "previous": None,
        "change": None,
        "five_years_earlier": None,
        "change_5y": None,
        "rank": {"rank": 1, "out_of": 47, "year": 2020},
        "sparkline": {"datasets": [], "axes": []},
    }
    with pytest.raises(ValidationError) as raised:
        schemas.KpiCard.model_validate(card)
    # A member renamed in the answer is both missing and, answers being closed, unknown.
    assert [(error["loc"], error["type"]) for error in raised.value.errors()] == [
        (("rank", "of"), "missing"),
        (("rank", "out_of"), "extra_forbidden"),
    ]


def test_an_answer_with_a_member_its_model_does_not_name_fails() -> None:
    region = {"code": "13000", "level": "prefecture", "name_ja": "東京都", "name_en": "Tokyo"}
    with pytest.raises(ValidationError) as raised:
        schemas.Region.model_validate({**region, "name_kana": "とうきょうと"})
    assert [(error["loc"], error["type"]) for error in raised.value.errors()] == [
        (("name_kana",), "extra_forbidden")
    ]


# The media type each answer model is served as (Chart.js data is JSON too).
MEDIA_TYPES = {
    schemas.FeatureCollection: "application/geo+json",
    schemas.Topology: "application/topo+json",
}


def _documented() -> set[tuple[str, str, str]]:
    """(route, media type, schema name) of every /api answer with a schema in the OpenAPI
    document."""
    spec = create_app().openapi()
    found = set()
    for path, item in spec["paths"].items():
        for operation in item.values() if path.startswith("/api/") else []:
            for media_type, described in operation["responses"]["200"]["content"].items():
                schema = described["schema"]
                for ref in [schema, *schema.get("anyOf", [])]:
                    if "$ref" in ref:
                        found.add((path, media_type, ref["$ref"].rsplit("/", 1)[1]))
    return found


def _route_of(url: str, routes: set[str]) -> str:
    """The route answering ``url``: a fixed path before a parameter (``/api/livability/components``
    before ``/api/livability/{code}``)."""
    path = url.split("?", 1)[0]
    matching = [
        route
        for route in routes
        if re.fullmatch(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(route)), path)
    ]
    return min(matching, key=lambda route: route.count("{"))


def test_every_documented_answer_has_a_real_answer_validated() -> None:
    documented = _documented()
    routes = {route for route, _, _ in documented}
    validated = {
        (_route_of(url, routes), MEDIA_TYPES.get(model, "application/json"), model.__name__)
        for url, model in ANSWERS
    }
    assert documented - validated == set()
    assert validated - documented == set()
