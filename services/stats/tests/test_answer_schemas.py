"""The answers the dashboard reads are what their published schemas say: each real answer of the
recorded data validates against its response model (the generated TypeScript types come from
these models, so a model that drifted from the answer would lie to the frontend)."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from chiiki_stats import schemas

ANSWERS: list[tuple[str, type[BaseModel]]] = [
    ("/api/kpi?region=13000", schemas.Kpis),
    ("/api/kpi?region=00000&indicators=population.total", schemas.Kpis),
    ("/api/regions?q=とうきょう&limit=10", schemas.RegionList),
    ("/api/indicators", schemas.IndicatorList),
    ("/api/indicators?limit=5", schemas.IndicatorList),
    ("/api/datasets?limit=2", schemas.DatasetList),
    ("/api/datasets/census-c01-1920-2015/observations?limit=5", schemas.ObservationPage),
    ("/api/livability/components", schemas.LivabilityComponents),
    ("/api/livability", schemas.LivabilityIndex),
    ("/api/livability/13000", schemas.RegionLivability),
    ("/api/livability?format=chartjs", schemas.ChartData),
    ("/api/livability?level=prefecture&format=geojson", schemas.FeatureCollection),
    ("/api/livability?level=municipality&format=geojson", schemas.FeatureCollection),
    (
        "/api/indicators/population.total/cross-section?level=prefecture&format=geojson",
        schemas.FeatureCollection,
    ),
    (
        "/api/comparison?regions=13000,27000&indicators=population.total,"
        "population.aged_65_plus_share&from=2010",
        schemas.Comparison,
    ),
    (
        "/api/comparison?regions=13000,27000&indicators=population.total,"
        "population.aged_65_plus_share&from=2010&format=chartjs",
        schemas.ChartData,
    ),
    (
        "/api/population/13000?indicators=population.aged_0_14,population.aged_65_plus"
        "&format=chartjs",
        schemas.ChartData,
    ),
    ("/api/population/00000/pyramid", schemas.Pyramid),
    ("/api/population/00000/pyramid?period=2020&format=chartjs", schemas.ChartData),
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
    assert [error["loc"] for error in raised.value.errors()] == [("rank", "of")]
