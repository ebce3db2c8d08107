"""The structure of each output format: Chart.js data objects, GeoJSON for choropleths, CSV."""

import csv
import io
import json

import pytest

CROSS = "/api/population?level=prefecture&period=2020&indicators=population.total"


async def test_chartjs_is_exactly_a_data_object(loaded, client) -> None:
    response = await client.get(
        "/api/population/13000?from=2018&to=2020&indicators=population.total,"
        "population.aged_65_plus_share&format=chartjs"
    )
    assert response.headers["content-type"] == "application/json"
    chart = response.json()
    assert set(chart) == {"labels", "datasets", "axes"}
    assert chart["labels"] == ["2018", "2019", "2020"]
    assert [set(dataset) for dataset in chart["datasets"]] == [
        {"label", "data", "unit", "yAxisID"}
    ] * 2
    assert chart["datasets"][0] == {
        "label": "総人口",
        "data": [13887000, 14007000, 14047594],
        "unit": "人",
        "yAxisID": "y-persons",
    }
    assert all(len(dataset["data"]) == 3 for dataset in chart["datasets"])


async def test_chartjs_gaps_are_null(loaded, client) -> None:
    chart = (
        await client.get(
            "/api/population/13000?from=2019&to=2020&indicators=population.total,"
            "population.density&format=chartjs&lang=en"
        )
    ).json()
    assert chart == {
        "labels": ["2019", "2020"],
        "datasets": [
            {
                "label": "Total population",
                "data": [14007000, 14047594],
                "unit": "persons",
                "yAxisID": "y-persons",
            },
            {
                "label": "Population density",
                "data": [None, 6402.6],
                "unit": "persons per km²",
                "yAxisID": "y-persons-per-km2",
            },
        ],
        "axes": [
            {"id": "y-persons", "unit": "persons", "position": "left"},
            {"id": "y-persons-per-km2", "unit": "persons per km²", "position": "right"},
        ],
    }


async def test_geojson_is_a_choropleth_ready_feature_collection(loaded, client) -> None:
    response = await client.get(CROSS + "&format=geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    document = response.json()
    assert document["type"] == "FeatureCollection"
    assert len(document["features"]) == 47
    assert "国土数値情報（行政区域データ）（国土交通省）を加工して作成" in document["attribution"]
    assert "SSDSE（独立行政法人統計センター）" in document["attribution"]
    assert document["metadata"]["year"] == 2020
    tokyo = next(f for f in document["features"] if f["properties"]["code"] == "13000")
    assert tokyo["id"] == 13
    assert tokyo["properties"] == {
        "code": "13000",
        "name_ja": "東京都",
        "name_en": "Tokyo",
        "value": 14047594,
        "rank": 1,
        "population.total": 14047594,
        "population.total.rank": 1,
        "population.total.period": "FY2020",
    }
    assert tokyo["geometry"]["type"] == "MultiPolygon"
    for feature in document["features"]:
        assert feature["type"] == "Feature"
        polygons = feature["geometry"]["coordinates"]
        if feature["geometry"]["type"] == "Polygon":
            polygons = [polygons]
        for polygon in polygons:
            for ring in polygon:
                assert ring[0] == ring[-1]
                assert len(ring) >= 4
                assert all(122 < lng < 154 and 20 < lat < 46 for lng, lat in ring)


async def test_livability_as_geojson_carries_scores(loaded, client) -> None:
    document = (await client.get("/api/livability?period=2020&format=geojson")).json()
    properties = {f["properties"]["code"]: f["properties"] for f in document["features"]}
    index = (await client.get("/api/livability?period=2020")).json()
    for region in index["regions"]:
        assert properties[region["code"]]["value"] == region["score"]
        assert properties[region["code"]]["rank"] == region["rank"]
    assert document["metadata"]["weights"] == index["weights"]


async def test_csv_is_long_form_with_a_header(loaded, client) -> None:
    response = await client.get(CROSS + "&format=csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="population-cross-section.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    response_attribution = (await client.get(CROSS)).json()["attribution"]
    assert response_attribution
    assert len(rows) == 47
    assert rows[12] == {
        "region_code": "13000",
        "region_name": "東京都",
        "indicator": "population.total",
        "year": "2020",
        "period": "FY2020",
        "time": "2020100000",
        "value": "14047594",
        "mark": "",
        "unit": "人",
        "rank": "1",
        "method": "published",
        "sources": "ssdse-b-2023",
        "attribution": " / ".join(response_attribution),
    }


@pytest.mark.parametrize(
    "path",
    [
        "/api/population/13000?period=2020",
        "/api/livability?period=2020",
        "/api/comparison?regions=13000,27000&indicators=population.total",
        "/api/kpi?region=13000",
        "/api/statistics/summary?indicator=population.total",
    ],
)
async def test_every_csv_row_credits_the_answers_sources(loaded, client, path: str) -> None:
    as_json = (await client.get(path)).json()
    credit = as_json["attribution"]
    credit = " / ".join(credit) if isinstance(credit, list) else credit
    assert credit
    rows = list(csv.reader(io.StringIO((await client.get(path + "&format=csv")).text)))
    assert rows[0][-1] == "attribution"
    assert len(rows) > 1
    assert {row[-1] for row in rows[1:]} == {credit}
    assert {len(row) for row in rows} == {len(rows[0])}  # one rectangle


async def test_every_csv_row_of_observations_credits_their_dataset(loaded, client) -> None:
    # A page of cells is a list ({items, next}): the attribution is its dataset document's.
    credit = (await client.get("/api/datasets/census-c01-1920-2015")).json()["attribution"]
    assert credit.startswith("出典：政府統計の総合窓口(e-Stat)")
    path = "/api/datasets/census-c01-1920-2015/observations?area=13000&time=2015&format=csv"
    rows = list(csv.reader(io.StringIO((await client.get(path)).text)))
    assert rows[0][-1] == "attribution"
    assert len(rows) == 4  # the header and the cells of the three sexes
    assert {row[-1] for row in rows[1:]} == {credit}


async def test_missing_values_in_csv_are_empty_cells(loaded, client) -> None:
    text = (
        await client.get("/api/population/47000?period=1945&indicators=population.total&format=csv")
    ).text
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["value"], row["mark"]) == ("", "-")


@pytest.mark.parametrize(
    "path",
    [
        "/api/population/13000?period=2020",
        CROSS,
        "/api/livability?period=2020",
        "/api/comparison?regions=13000&indicators=population.total",
        "/api/kpi?region=13000",
        "/api/statistics/summary?indicator=population.total",
    ],
)
async def test_json_never_holds_nan(loaded, client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    json.loads(response.text, parse_constant=lambda name: pytest.fail(f"{name} in {path}"))


async def test_csv_with_bom_opens_in_japanese_excel(loaded, client) -> None:
    url = "/api/population/13000?period=2020&indicators=population.total&format=csv"
    plain = await client.get(url)
    with_bom = await client.get(url + "&bom=true")
    assert with_bom.status_code == plain.status_code == 200
    assert not plain.content.startswith(b"\xef\xbb\xbf")
    assert with_bom.content == b"\xef\xbb\xbf" + plain.content
    assert with_bom.headers["etag"] != plain.headers["etag"]
    # bom says nothing to JSON: the same answer, the same ETag.
    json_url = "/api/population/13000?period=2020&indicators=population.total"
    as_json, json_bom = await client.get(json_url), await client.get(json_url + "&bom=true")
    assert json_bom.headers["etag"] == as_json.headers["etag"]


async def test_a_lang_that_changes_nothing_keeps_the_etag(loaded, client) -> None:
    summary = "/api/statistics/summary?indicator=population.total&period=2020"
    ja = await client.get(summary + "&lang=ja")
    en = await client.get(summary + "&lang=en")
    assert ja.status_code == en.status_code == 200
    assert en.headers["etag"] == ja.headers["etag"]
    assert en.content == ja.content
