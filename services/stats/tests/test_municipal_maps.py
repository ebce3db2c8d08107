"""Municipal and ward maps: GeoJSON and TopoJSON joined by code to the N03 boundaries."""

import json
from importlib.resources import files
from typing import Any

REFERENCE = files("chiiki_stats") / "reference"
SSDSE_A = "ssdse-a-2023"
MUNICIPAL = "/api/population?level=municipality&period=2020&indicators=population.total"
# SSDSE-A municipalities the 0.1% simplified N03 boundaries have no polygon for: small islands
# (利島村, 青ヶ島村, 上島町, 姫島村, 渡嘉敷村, 座間味村, 粟国村) and rings collapsed to a line
# (大治町, 向日市, 太地町, 日吉津村).
WITHOUT_POLYGON = [
    "13362",
    "13402",
    "23424",
    "26208",
    "30422",
    "31384",
    "38356",
    "44322",
    "47354",
    "47355",
    "47356",
]
# The Northern Territories' six villages: boundaries, but no statistics.
WITHOUT_DATA = ["01695", "01696", "01697", "01698", "01699", "01700"]


def boundary_codes(filename: str) -> list[str]:
    topology = json.loads((REFERENCE / filename).read_bytes())
    return [geometry["id"] for geometry in topology["objects"]["regions"]["geometries"]]


def ssdse_a_codes(estat: Any) -> set[str]:
    recorded = estat.table(SSDSE_A)
    position = recorded.dimensions.index("area")
    return {cell[position] for cell in recorded.cells}


def features_by_code(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {feature["properties"]["code"]: feature for feature in document["features"]}


async def test_whole_country_geojson_matches_boundaries_and_ssdse_a(loaded, client, estat) -> None:
    response = await client.get(MUNICIPAL + "&format=geojson")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/geo+json"
    document = response.json()
    polygons = set(boundary_codes("municipalities.topojson"))
    municipalities = ssdse_a_codes(estat)
    assert len(municipalities) == 1741
    assert len(polygons) == 1736
    codes = [feature["properties"]["code"] for feature in document["features"]]
    assert len(codes) == len(set(codes)) == 1736
    assert set(codes) == (municipalities & polygons) | (polygons - municipalities)
    assert sorted(municipalities - polygons) == WITHOUT_POLYGON
    assert sorted(polygons - municipalities) == WITHOUT_DATA
    boundaries = document["metadata"]["boundaries"]
    assert boundaries["level"] == "municipality"
    assert boundaries["release"] == "N03-21_210101"
    assert boundaries["version"].startswith("sha256:")
    assert boundaries["features"] == 1736
    assert boundaries["regions_without_polygon"] == WITHOUT_POLYGON
    assert boundaries["polygons_without_data"] == WITHOUT_DATA
    assert "国土数値情報（行政区域データ）（国土交通省）を加工して作成" in document["attribution"]
    assert "SSDSE（独立行政法人統計センター）" in document["attribution"]
    shikotan = features_by_code(document)["01695"]
    assert shikotan["properties"]["value"] is None
    assert shikotan["properties"]["rank"] is None
    for feature in document["features"]:
        assert feature["id"] == int(feature["properties"]["code"])
        polygons_of = feature["geometry"]["coordinates"]
        if feature["geometry"]["type"] == "Polygon":
            polygons_of = [polygons_of]
        assert polygons_of
        for ring in (ring for polygon in polygons_of for ring in polygon):
            assert ring[0] == ring[-1]
            assert len(ring) >= 4
            assert all(122 < lng < 154 and 20 < lat < 46 for lng, lat in ring)


async def test_feature_values_and_ranks_equal_the_json_answer(loaded, client) -> None:
    answer = (await client.get(MUNICIPAL)).json()
    document = (await client.get(MUNICIPAL + "&format=geojson")).json()
    topology = (await client.get(MUNICIPAL + "&format=topojson")).json()
    features = features_by_code(document)
    geometries = {g["id"]: g for g in topology["objects"]["regions"]["geometries"]}
    assert set(geometries) == set(features)
    for region in answer["regions"]:
        if region["code"] in WITHOUT_POLYGON:
            assert region["code"] not in features
            continue
        cell = region["values"]["population.total"]
        properties = features[region["code"]]["properties"]
        assert properties["value"] == cell["value"]
        assert properties["rank"] == cell["rank"]
        assert properties["name_ja"] == region["name_ja"]
        assert geometries[region["code"]]["properties"] == properties
    setagaya = features["13112"]["properties"]
    assert (setagaya["value"], setagaya["rank"]) == (943664, 13)
    assert document["metadata"]["indicators"][0]["unit"] == "人"


async def test_parent_13000_is_exactly_tokyos_municipalities(loaded, client) -> None:
    tokyo = MUNICIPAL + "&parent=13000"
    answer = (await client.get(tokyo)).json()
    document = (await client.get(tokyo + "&format=geojson")).json()
    topology = (await client.get(tokyo + "&format=topojson")).json()
    expected = [r["code"] for r in answer["regions"] if r["code"] not in ("13362", "13402")]
    assert len(answer["regions"]) == 62
    assert [f["properties"]["code"] for f in document["features"]] == expected
    assert [g["id"] for g in topology["objects"]["regions"]["geometries"]] == expected
    assert document["metadata"]["boundaries"]["regions_without_polygon"] == ["13362", "13402"]
    assert document["metadata"]["boundaries"]["polygons_without_data"] == []
    # Only the arcs Tokyo's geometries use travel.
    used = {
        index if index >= 0 else ~index
        for g in topology["objects"]["regions"]["geometries"]
        for index in _flatten(g["arcs"])
    }
    assert used == set(range(len(topology["arcs"])))
    assert topology["type"] == "Topology"
    assert set(topology["transform"]) == {"scale", "translate"}


def _flatten(arcs: Any) -> list[int]:
    if isinstance(arcs, int):
        return [arcs]
    return [index for item in arcs for index in _flatten(item)]


async def test_designated_cities_are_whole_or_wards_by_level(loaded, client) -> None:
    municipal = features_by_code((await client.get(MUNICIPAL + "&format=geojson")).json())
    assert "01100" in municipal
    assert "01101" not in municipal
    assert municipal["01100"]["properties"]["value"] == 1973395
    wards = (
        await client.get(
            "/api/population?level=ward&parent=01100&period=2020"
            "&indicators=population.total&format=geojson"
        )
    ).json()
    codes = [feature["properties"]["code"] for feature in wards["features"]]
    assert codes == [f"0110{n}" for n in range(1, 10)] + ["01110"]
    assert wards["metadata"]["boundaries"]["level"] == "ward"
    assert wards["metadata"]["boundaries"]["regions_without_polygon"] == []
    all_wards = (
        await client.get(
            "/api/population?level=ward&period=2020&indicators=population.total&format=topojson"
        )
    ).json()
    ward_codes = [g["id"] for g in all_wards["objects"]["regions"]["geometries"]]
    assert ward_codes == boundary_codes("wards.topojson")
    assert len(ward_codes) == 175


async def test_livability_municipal_map(loaded, client) -> None:
    query = "/api/livability?level=municipality&parent=13000&period=2020"
    index = (await client.get(query)).json()
    features = features_by_code((await client.get(query + "&format=geojson")).json())
    for region in index["regions"]:
        if region["code"] in features:
            assert features[region["code"]]["properties"]["score"] == region["score"]
            assert features[region["code"]]["properties"]["rank"] == region["rank"]


async def test_topojson_for_prefectures_is_a_problem_document(loaded, client) -> None:
    response = await client.get("/api/population?level=prefecture&format=topojson")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "field": "query.format",
            "message": "topojson has municipal and ward boundaries only: "
            "use format=geojson for prefectures",
            "type": "value_error",
        }
    ]


async def test_whole_country_layer_fits_the_size_budget(loaded, client) -> None:
    wires = {}
    for fmt in ("geojson", "topojson"):
        async with client.stream(
            "GET", MUNICIPAL + f"&format={fmt}", headers={"Accept-Encoding": "gzip"}
        ) as response:
            body = await response.aread()
            wire = response.num_bytes_downloaded
        assert response.headers["content-encoding"] == "gzip"
        assert len(body) > 4 * wire  # compresses at least fourfold
        print(f"{fmt}: {len(body)} bytes, {wire} gzip")
        wires[fmt] = wire
    assert wires["geojson"] <= 400_000, wires
    assert wires["topojson"] < wires["geojson"] * 0.85, wires


async def test_boundaries_alone_with_a_strong_etag(client) -> None:
    response = await client.get("/api/boundaries/municipality")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/topo+json"
    etag = response.headers["etag"]
    assert not etag.startswith("W/")
    assert response.headers["cache-control"] == "public, max-age=86400"
    topology = response.json()
    assert [g["id"] for g in topology["objects"]["regions"]["geometries"]] == boundary_codes(
        "municipalities.topojson"
    )
    sapporo = topology["objects"]["regions"]["geometries"][0]["properties"]
    assert sapporo == {"code": "01100", "name_ja": "札幌市", "name_en": "Sapporo-shi"}
    assert topology["metadata"]["release"] == "N03-21_210101"
    again = await client.get("/api/boundaries/municipality", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["etag"] == etag
    geo = await client.get("/api/boundaries/ward?format=geojson")
    assert geo.headers["content-type"] == "application/geo+json"
    assert len(geo.json()["features"]) == 175
    assert geo.headers["etag"] != etag
    wrong = await client.get("/api/boundaries/prefecture?format=csv")
    assert wrong.status_code == 422
    assert wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["errors"] == [
        {
            "field": "path.level",
            "message": "Input should be 'municipality' or 'ward'",
            "type": "literal_error",
        },
        {
            "field": "query.format",
            "message": "Input should be 'geojson' or 'topojson'",
            "type": "literal_error",
        },
    ]
