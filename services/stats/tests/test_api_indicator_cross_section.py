"""``/api/indicators/{code}/cross-section``: any indicator of the catalog for every region of a
level, with ranks, in every format (the dashboard's map of any indicator)."""

import pytest

SSDSE_B, FY2020 = "ssdse-b-2023", "2020100000"
RATIO = "labour.job_openings_ratio"
URL = f"/api/indicators/{RATIO}/cross-section"


async def test_a_derived_indicator_for_every_prefecture_with_ranks(loaded, client, estat) -> None:
    response = await client.get(URL, params={"period": "2020"})
    assert response.status_code == 200
    body = response.json()
    assert (body["level"], body["year"], len(body["regions"])) == ("prefecture", 2020, 47)
    assert [indicator["code"] for indicator in body["indicators"]] == [RATIO]
    values = {region["code"]: region["values"][RATIO] for region in body["regions"]}

    def ratio(area: str) -> float:
        openings = estat.number(SSDSE_B, tab="00001", cat01="X7DF5D2", area=area, time=FY2020)
        seekers = estat.number(SSDSE_B, tab="00001", cat01="XF26197", area=area, time=FY2020)
        return openings / seekers

    for area in ("13000", "31000", "47000"):
        assert values[area]["value"] == pytest.approx(ratio(area), rel=1e-9)
    ordered = sorted(values, key=lambda code: (-ratio(code), code))
    assert values[ordered[0]]["rank"] == 1
    assert values[ordered[-1]]["rank"] == 47


async def test_the_latest_year_is_the_default_and_maps_come_in_geojson(loaded, client) -> None:
    latest = (await client.get(URL)).json()
    assert latest["year"] == 2020
    geojson = await client.get(URL, params={"format": "geojson", "lang": "en"})
    assert geojson.status_code == 200
    assert geojson.headers["content-type"] == "application/geo+json"
    document = geojson.json()
    assert len(document["features"]) == 47
    assert document["metadata"]["indicators"][0]["name_en"] == (
        "Active job openings-to-applicants ratio"
    )
    tokyo = next(f for f in document["features"] if f["properties"]["code"] == "13000")
    by_code = {region["code"]: region["values"][RATIO] for region in latest["regions"]}
    assert tokyo["properties"]["value"] == by_code["13000"]["value"]
    assert tokyo["properties"]["rank"] == by_code["13000"]["rank"]


async def test_an_unknown_indicator_is_404_and_a_bad_level_422(loaded, client) -> None:
    missing = await client.get("/api/indicators/no.such_indicator/cross-section")
    assert missing.status_code == 404
    assert missing.json()["code"] == "not-found"
    bad = await client.get(URL, params={"level": "galaxy"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "query.level"
