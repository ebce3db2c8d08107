"""Hostile input to the stats API: 4xx problem documents, never a 500; list-valued parameters
keep accepting repeats while single-valued ones refuse them."""

import pytest


def assert_invalid(response, field: str, kind: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation-failed"
    assert (body["errors"][0]["field"], body["errors"][0]["type"]) == (field, kind)


@pytest.mark.parametrize(
    ("query", "field"),
    [("q=%00", "query.q"), ("q=a%0Db", "query.q"), ("level=prefecture%01", "query.level")],
)
async def test_control_characters_in_query_values_are_422(client, query, field) -> None:
    assert_invalid(await client.get(f"/api/regions?{query}"), field, "control_character")


async def test_very_long_query_values_are_422(client) -> None:
    assert_invalid(await client.get("/api/regions?q=" + "あ" * 2049), "query.q", "string_too_long")


async def test_control_characters_in_the_path_are_422(client) -> None:
    assert_invalid(await client.get("/api/regions/13000%00"), "path", "control_character")


async def test_a_repeated_single_valued_parameter_is_422(client) -> None:
    assert_invalid(
        await client.get("/api/regions?level=prefecture&level=municipality"),
        "query.level",
        "repeated",
    )


@pytest.mark.parametrize("limit", ["9223372036854775808", "1e23", "-1"])
async def test_out_of_range_limits_are_422(client, limit) -> None:
    response = await client.get(f"/api/regions?limit={limit}")
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "query.limit"


async def test_list_valued_parameters_accept_repeats(client, loaded) -> None:
    once = await client.get("/api/comparison?regions=13000,27000&indicators=population.total")
    repeated = await client.get(
        "/api/comparison?regions=13000&regions=27000&indicators=population.total"
    )
    assert once.status_code == repeated.status_code == 200, repeated.text
    assert repeated.json() == once.json()
    # A list typed through the route's query model (Annotated and optional) takes repeats too.
    series = "/api/population/13000?format=chartjs&indicators="
    joined = await client.get(series + "population.aged_0_14,population.aged_65_plus")
    repeated = await client.get(series + "population.aged_0_14&indicators=population.aged_65_plus")
    assert joined.status_code == repeated.status_code == 200, repeated.text
    assert [d["label"] for d in repeated.json()["datasets"]] == [
        d["label"] for d in joined.json()["datasets"]
    ]
    assert len(repeated.json()["datasets"]) == 2
