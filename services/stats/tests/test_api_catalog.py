"""Regions, indicators and datasets: the reference data and what arrived from the bus."""

import csv
import io

import pytest

C01 = "census-c01-1920-2015"


async def test_prefectures_in_estat_order(loaded, client) -> None:
    first = (await client.get("/api/regions?level=prefecture&limit=20")).json()
    assert len(first["items"]) == 20
    assert first["items"][0] == {
        "code": "01000",
        "level": "prefecture",
        "parent_code": "00000",
        "prefecture_code": "01000",
        "name_ja": "北海道",
        "name_kana": "ほっかいどう",
        "name_en": "Hokkaido",
        "estat_level": "2",
        "area_km2": 83424.44,
        "lat": 43.063968,
        "lng": 141.347899,
    }
    everything = (await client.get("/api/regions?level=prefecture")).json()
    assert everything["next"] is None
    assert [item["code"] for item in everything["items"]] == [f"{n:02d}000" for n in range(1, 48)]


async def test_region_search_and_filters(loaded, client) -> None:
    by_romaji = (await client.get("/api/regions?q=setagaya")).json()
    assert [item["code"] for item in by_romaji["items"]] == ["13112"]
    by_kanji = (await client.get("/api/regions?q=世田谷")).json()
    assert by_kanji["items"] == by_romaji["items"]
    by_kana = (await client.get("/api/regions?q=せたがや")).json()
    assert [item["code"] for item in by_kana["items"]] == ["13112"]
    wards = (await client.get("/api/regions?parent=01100&limit=1000")).json()
    assert [item["code"] for item in wards["items"]] == [f"0110{n}" for n in range(1, 10)] + [
        "01110"
    ]
    assert {item["level"] for item in wards["items"]} == {"ward"}
    letters = (await client.get("/api/regions/0120B")).json()
    assert (letters["name_ja"], letters["level"]) == ("（旧：函館市）", "other")
    tokyo_all = (await client.get("/api/regions?prefecture=13000&level=municipality")).json()
    assert (len(tokyo_all["items"]), tokyo_all["next"]) == (62, None)
    table = list(
        csv.reader(io.StringIO((await client.get("/api/regions?level=nation&format=csv")).text))
    )
    assert table == [
        [
            "code",
            "level",
            "parent_code",
            "prefecture_code",
            "name_ja",
            "name_kana",
            "name_en",
            "estat_level",
            "area_km2",
            "lat",
            "lng",
        ],
        ["00000", "nation", "", "", "全国", "", "Japan", "1", "377976.41", "", ""],
    ]


async def test_one_region(loaded, client) -> None:
    body = (await client.get("/api/regions/13101")).json()
    assert (body["name_ja"], body["name_en"], body["parent"]["code"]) == (
        "千代田区",
        "Chiyoda-ku",
        "13100",
    )
    assert body["prefecture"] == {
        "code": "13000",
        "level": "prefecture",
        "name_ja": "東京都",
        "name_en": "Tokyo",
    }
    assert body["children"] == []


async def test_indicator_catalog(loaded, client) -> None:
    body = (await client.get("/api/indicators")).json()
    assert (len(body["items"]), body["next"]) == (52, None)
    categories = list(dict.fromkeys(item["category"] for item in body["items"]))
    assert categories[:3] == ["population", "land", "vital"]
    health = (await client.get("/api/indicators?category=health")).json()
    assert [item["code"] for item in health["items"]] == [
        "health.general_hospitals",
        "health.general_clinics",
        "health.physicians",
        "health.hospitals_per_100k",
        "health.clinics_per_100k",
        "health.physicians_per_100k",
    ]
    found = (await client.get("/api/indicators?q=ageing")).json()
    assert [item["code"] for item in found["items"]] == ["population.aged_65_plus_share"]


async def test_one_indicator_with_sources_and_formula(loaded, client) -> None:
    body = (await client.get("/api/indicators/population.total")).json()
    assert body["additive"] is True
    first = body["sources"][0]
    assert (first["dataset"], first["series"], first["label"]) == (
        "ssdse-b-2023",
        {"cat01": "A1101"},
        "総人口",
    )
    assert first["dataset_version"] >= 1
    assert [source.get("dataset") for source in body["sources"][2:4]] == [
        "census-0003410379",
        C01,
    ]
    assert body["sources"][4] == {
        "priority": 5,
        "derived": {
            "op": "sum",
            "terms": ["population.total_2015_recombined", "population.change_2015_2020"],
        },
    }
    assert "health.hospitals_per_100k" in body["used_by"]
    ratio = (await client.get("/api/indicators/health.hospitals_per_100k")).json()
    assert ratio["depends_on"] == ["health.general_hospitals", "population.total"]
    assert ratio["higher_is_better"] is True


async def test_datasets_with_metadata_and_attribution(loaded, client) -> None:
    body = (await client.get("/api/datasets")).json()
    datasets = {item["id"]: item for item in body["items"]}
    assert set(datasets) >= {"0003445099", C01, "ssdse-b-2023", "ssdse-a-2023"}
    census = datasets["0003445099"]
    assert census["organisation"] == "総務省"
    assert census["open_date"] == "2021-11-30"
    assert census["cell_count"] == 16344
    assert census["attribution"] == "出典：政府統計の総合窓口(e-Stat)"
    assert census["dimensions"] == [
        {"id": "tab", "name": "表章事項", "item_count": 4},
        {
            "id": "area",
            "name": "全国，都道府県，市区町村（2000年市区町村含む）",
            "item_count": 4086,
        },
        {"id": "time", "name": "時間軸（年次）", "item_count": 1},
    ]
    assert census["notes"] == [
        {"mark": "***", "meaning": "当該数値がないもの"},
        {"mark": "-", "meaning": "当該数値がないもの"},
    ]
    assert datasets["ssdse-b-2023"]["attribution"] == "SSDSE（独立行政法人統計センター）"
    assert body["next"] is None
    assert "e-Stat" in census["notice"]
    detail = (await client.get(f"/api/datasets/{C01}")).json()
    sexes = next(d for d in detail["dimensions"] if d["id"] == "cat01")["items"]
    assert [(item["code"], item["name"]) for item in sexes] == [
        ("0", "総数"),
        ("1", "男"),
        ("2", "女"),
    ]
    assert "population.total" in detail["indicators"]
    assert detail["versions"][0]["version"] == detail["version"]
    assert detail["versions"][0]["content_hash"] == detail["content_hash"]
    assert [v["version"] for v in detail["versions"]] == list(range(detail["version"], 0, -1))


async def test_observations_cell_by_cell(loaded, client, estat) -> None:
    response = await client.get(
        f"/api/datasets/{C01}/observations?area=47000&time=1945,1950&cat01=0"
    )
    body = response.json()
    assert (set(body), body["next"]) == ({"items", "next"}, None)
    assert body["items"] == [
        {
            "tab": "001",
            "cat01": "0",
            "area": "47000",
            "time": "1945000000",
            "value": None,
            "value_text": None,
            "mark": "-",
            "unit": "人",
        },
        {
            "tab": "001",
            "cat01": "0",
            "area": "47000",
            "time": "1950000000",
            "value": 914937,
            "value_text": "914937",
            "mark": None,
            "unit": "人",
        },
    ]
    assert estat.cell(C01, tab="001", cat01="0", area="47000", time="1950000000") == (
        "914937",
        None,
        "人",
    )
    # Human periods select the same cells as time codes.
    same = (
        await client.get(f"/api/datasets/{C01}/observations?area=47000&time=1950&cat01=0")
    ).json()
    assert same["items"] == body["items"][1:]
    units = (await client.get("/api/datasets/0003445099/observations?area=0120B")).json()["items"]
    assert [(row["tab"], row["value"], row["unit"]) for row in units] == [
        ("2020_03", 254157, "人"),
        ("2020_34", -13133, "人"),
        ("2020_47", 346.9, "km2"),
        ("2020_48", 694.8, "1km2当たり"),
    ]
    assert [
        estat.cell("0003445099", tab=row[0], area="0120B", time="2020000000")[0]
        for row in [("2020_03",), ("2020_34",), ("2020_47",), ("2020_48",)]
    ] == ["254157", "-13133", "346.90", "694.8"]
    assert [row["value_text"] for row in units] == ["254157", "-13133", "346.90", "694.8"]


async def test_observations_are_cursor_paginated_over_every_cell(loaded, client) -> None:
    seen: list[tuple] = []
    url = f"/api/datasets/{C01}/observations?limit=1000"
    pages = 0
    while url is not None:
        body = (await client.get(url)).json()
        seen += [(row["cat01"], row["area"], row["time"]) for row in body["items"]]
        pages += 1
        url = body["next"]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 2880
    attribution = (await client.get(f"/api/datasets/{C01}")).json()["attribution"]
    rows = list(
        csv.DictReader(
            io.StringIO(
                (
                    await client.get(
                        f"/api/datasets/{C01}/observations?area=13000&cat01=2&time=2015&format=csv"
                    )
                ).text
            )
        )
    )
    assert rows == [
        {
            "tab": "001",
            "cat01": "2",
            "area": "13000",
            "time": "2015000000",
            "value": "6848581",
            "value_text": "6848581",
            "mark": "",
            "unit": "人",
            "attribution": attribution,
        }
    ]


@pytest.mark.parametrize(
    "path", ["/api/datasets/ssdse-b-2023", "/api/datasets/ssdse-b-2023/observations?limit=1"]
)
async def test_dataset_routes_answer_json(loaded, client, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
