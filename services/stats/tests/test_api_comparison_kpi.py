"""Comparison of regions with the nation alongside, and the KPI cards."""

import pytest

SSDSE_B = "ssdse-b-2023"


def series(body: dict, indicator: str, region: str) -> list[dict]:
    (found,) = [
        entry
        for entry in body["series"]
        if entry["indicator"] == indicator and entry["region"] == region
    ]
    return found["points"]


async def test_regions_and_indicators_with_the_nation(loaded, client, estat) -> None:
    response = await client.get(
        "/api/comparison?regions=13000,27000&indicators=population.total,"
        "population.aged_65_plus_share&period=2020"
    )
    assert response.status_code == 200
    body = response.json()
    assert [region["code"] for region in body["regions"]] == ["13000", "27000"]
    assert body["national"]["code"] == "00000"
    assert body["years"] == [2020]
    assert series(body, "population.total", "13000")[0]["value"] == 14047594
    assert series(body, "population.total", "27000")[0]["value"] == estat.number(
        SSDSE_B, tab="00001", cat01="A1101", area="27000", time="2020100000"
    )
    national = series(body, "population.total", "00000")[0]
    assert (national["value"], national["period"]) == (126146099, "2020")
    national_share = series(body, "population.aged_65_plus_share", "00000")[0]
    assert national_share["period"] == "FY2020"  # the ratio of the prefectures' sums
    assert national_share["method"] == "derived"


async def test_comparison_as_chartjs(loaded, client) -> None:
    single = (
        await client.get(
            "/api/comparison?regions=13000,27000&indicators=population.total&period=2020"
            "&format=chartjs&lang=en"
        )
    ).json()
    assert single == {
        "labels": ["Tokyo", "Osaka", "Japan"],
        "datasets": [
            {
                "label": "Total population",
                "data": [14047594, 8837685, 126146099],
                "unit": "persons",
                "yAxisID": "y-persons",
            }
        ],
        "axes": [{"id": "y-persons", "unit": "persons", "position": "left"}],
    }
    ranged = (
        await client.get(
            "/api/comparison?regions=13000&indicators=population.total&from=2005&to=2010"
            "&national=false&format=chartjs"
        )
    ).json()
    # 2005 (a census), then 2009 and 2010: irregular years are {x, y} points, no labels.
    assert "labels" not in ranged
    assert ranged["datasets"] == [
        {
            "label": "東京都 - 総人口",
            "data": [
                {"x": 2005, "y": 12576601},
                {"x": 2009, "y": 13048000},
                {"x": 2010, "y": 13159388},
            ],
            "unit": "人",
            "yAxisID": "y-persons",
        }
    ]


async def test_kpi_cards(loaded, client, estat) -> None:
    response = await client.get("/api/kpi?region=13000")
    assert response.status_code == 200
    cards = {card["indicator"]["code"]: card for card in response.json()["kpis"]}
    assert list(cards)[:2] == ["population.total", "population.aged_65_plus_share"]
    total = cards["population.total"]
    assert (total["latest"]["value"], total["latest"]["period"]) == (14047594, "FY2020")
    previous = estat.number(SSDSE_B, tab="00001", cat01="A1101", area="13000", time="2019100000")
    assert total["previous"]["value"] == previous
    assert total["change"] == {
        "absolute": 14047594 - previous,
        "percent": round((14047594 - previous) / previous * 100, 4),
        "from": "FY2019",
        "to": "FY2020",
    }
    assert total["change_5y"]["absolute"] == 14047594 - 13515271
    assert total["rank"] == {"rank": 1, "of": 47, "year": 2020}
    # The sparkline is a Chart.js data object: the last 10 years (2011-2020, regular: labels).
    (spark,) = total["sparkline"]["datasets"]
    assert total["sparkline"]["labels"] == [str(year) for year in range(2011, 2021)]
    assert (spark["label"], spark["unit"], spark["yAxisID"]) == ("総人口", "人", "y-persons")
    assert spark["data"][-2:] == [previous, 14047594]
    assert total["sparkline"]["axes"] == [{"id": "y-persons", "unit": "人", "position": "left"}]
    fertility = cards["vital.total_fertility_rate"]
    assert fertility["latest"]["value"] == estat.number(
        SSDSE_B, tab="00001", cat01="A4103", area="13000", time="2020100000"
    )
    assert fertility["rank"]["rank"] == 47  # the lowest fertility of all prefectures


async def test_kpi_of_a_municipality_ranks_among_municipalities(loaded, client) -> None:
    body = (await client.get("/api/kpi?region=13112&indicators=population.total")).json()
    (card,) = body["kpis"]
    assert card["rank"]["of"] == 1741
    # 2015 on 2020 boundaries (from 0003445099) gives the municipality a previous census.
    previous = card["previous"]
    assert (previous["period"], previous["sources"]) == ("2015", ["census-2015-on-2020-areas"])
    assert card["change"]["absolute"] == card["latest"]["value"] - previous["value"]
    assert (card["change"]["from"], card["change"]["to"]) == ("2015", "FY2020")
    csv_text = (
        await client.get("/api/kpi?region=13112&indicators=population.total&format=csv")
    ).text
    header, row = csv_text.strip().split("\r\n")
    assert header.startswith("indicator,unit,year,period,value")
    assert row.startswith(f"population.total,人,2020,FY2020,{card['latest']['value']},")


async def test_kpi_of_the_nation_has_no_rank(loaded, client) -> None:
    body = (await client.get("/api/kpi?region=00000&indicators=population.total")).json()
    (card,) = body["kpis"]
    assert card["latest"]["value"] == 126146099
    assert card["rank"] is None
    assert card["change_5y"]["from"] == "2015"
    assert card["change_5y"]["absolute"] == pytest.approx(126146099 - 127094745)
