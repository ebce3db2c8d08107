"""Population series and cross-sections: exact values from the recorded tables."""

import pytest

SSDSE_B, SSDSE_A, C01, CENSUS = "ssdse-b-2023", "ssdse-a-2023", "census-c01-1920-2015", "0003445099"
HISTORY = "census-0003410379"  # census population by prefecture 1920-2020
FY2020, CY2020 = "2020100000", "2020000000"


def points(body: dict, code: str) -> dict[int, dict]:
    (series,) = [entry for entry in body["indicators"] if entry["code"] == code]
    return {point["year"]: point for point in series["points"]}


async def test_tokyo_2020_census_population(loaded, client, estat) -> None:
    response = await client.get("/api/population/13000?period=CY2020&indicators=population.total")
    assert response.status_code == 200
    (point,) = points(response.json(), "population.total").values()
    # The census time series (0003410379) publishes it; 0003445099 gives the same count as the
    # 2015 population on 2020 boundaries plus the 5-year change.
    assert point == {
        "year": 2020,
        "period": "2020",
        "time": CY2020,
        "value": 14047594,
        "mark": None,
        "mark_meaning": None,
        "method": "published",
        "sources": [HISTORY],
    }
    recombined = estat.number(CENSUS, tab="2020_03", area="13000", time=CY2020)
    change = estat.number(CENSUS, tab="2020_34", area="13000", time=CY2020)
    assert recombined + change == 14047594


async def test_a_year_takes_the_preferred_source(loaded, client, estat) -> None:
    body = (await client.get("/api/population/13000?period=2020")).json()
    total = points(body, "population.total")[2020]
    # SSDSE-B (priority 1) publishes the census count for fiscal year 2020.
    assert (total["value"], total["period"], total["sources"]) == (14047594, "FY2020", [SSDSE_B])
    males = points(body, "population.male")[2020]["value"]
    assert males == estat.number(SSDSE_B, tab="00001", cat01="A110101", area="13000", time=FY2020)
    share = points(body, "population.aged_65_plus_share")[2020]
    aged = estat.number(SSDSE_B, tab="00001", cat01="A1303", area="13000", time=FY2020)
    known = sum(
        estat.number(SSDSE_B, tab="00001", cat01=group, area="13000", time=FY2020)
        for group in ("A1301", "A1302", "A1303")
    )
    assert share["value"] == pytest.approx(aged / known * 100, rel=1e-10)
    assert share["method"] == "derived"
    density = points(body, "population.density")[2020]
    assert (density["value"], density["period"]) == (6402.6, "2020")
    net = points(body, "migration.net")[2020]["value"]
    moved_in = estat.number(SSDSE_B, tab="00001", cat01="A5101", area="13000", time=FY2020)
    moved_out = estat.number(SSDSE_B, tab="00001", cat01="A5102", area="13000", time=FY2020)
    assert net == moved_in - moved_out
    assert body["attribution"] == [
        "出典：政府統計の総合窓口(e-Stat)",
        "SSDSE（独立行政法人統計センター）",
    ]


async def test_a_long_series_mixes_census_and_ssdse_years(loaded, client, estat) -> None:
    body = (await client.get("/api/population/13000?from=1920&to=2020")).json()
    total = points(body, "population.total")
    assert total[1920] == {
        "year": 1920,
        "period": "1920",
        "time": "1920000000",
        "value": 3699428,
        "mark": None,
        "mark_meaning": None,
        "method": "published",
        "sources": [HISTORY],
    }
    assert [year for year in total if year < 2009] == list(range(1920, 2009, 5))
    assert all(total[year]["period"] == f"FY{year}" for year in range(2009, 2021))
    # 2015: both tables have Tokyo's census count; SSDSE-B comes first in the catalog.
    assert (
        total[2015]["value"]
        == 13515271
        == estat.number(C01, tab="001", cat01="0", area="13000", time="2015000000")
    )
    assert body["years"] == sorted(total)


async def test_okinawa_1945_is_missing_not_zero(loaded, client) -> None:
    body = (await client.get("/api/population/47000?period=1945")).json()
    assert points(body, "population.total")[1945] == {
        "year": 1945,
        "period": "1945",
        "time": "1945000000",
        "value": None,
        "mark": "-",
        "mark_meaning": "当該数値がないもの",
        "method": "published",
        "sources": [HISTORY],
    }
    chart = (await client.get("/api/population/47000?from=1940&to=1950&format=chartjs")).json()
    total = chart["datasets"][0]
    assert chart["labels"] == ["1940", "1945", "1950"]
    assert total["label"] == "総人口"
    assert total["data"] == [574579, None, 914937]


async def test_the_nation_where_only_prefectures_publish(loaded, client, estat) -> None:
    body = (await client.get("/api/population/00000?from=2019&to=2020")).json()
    total = points(body, "population.total")
    # 2020: the census count for the nation. 2019: the sum of the 47 SSDSE-B prefectures.
    assert (total[2020]["value"], total[2020]["method"]) == (126146099, "derived")
    expected = sum(
        estat.number(SSDSE_B, tab="00001", cat01="A1101", area=f"{n:02d}000", time="2019100000")
        for n in range(1, 48)
    )
    assert (total[2019]["value"], total[2019]["method"]) == (expected, "sum_of_prefectures")
    # A share is the ratio of the sums, not a sum of shares.
    share = points(body, "population.aged_65_plus_share")[2019]
    aged, known = (
        sum(
            estat.number(SSDSE_B, tab="00001", cat01=group, area=f"{n:02d}000", time="2019100000")
            for n in range(1, 48)
            for group in groups
        )
        for groups in (("A1303",), ("A1301", "A1302", "A1303"))
    )
    assert share["value"] == pytest.approx(aged / known * 100, rel=1e-10)
    assert points(body, "population.total")[2020]["sources"] == [CENSUS]


async def test_a_municipality_and_a_designated_city_ward(loaded, client) -> None:
    chiyoda = (await client.get("/api/population/13101?period=2020")).json()
    assert points(chiyoda, "population.total")[2020]["value"] == 66680
    assert points(chiyoda, "population.total")[2020]["sources"] == [SSDSE_A]
    # Sapporo's Chuo ward is not in SSDSE-A: its 2020 census count comes from 0003445099.
    chuo = (await client.get("/api/population/01101?period=2020")).json()
    total = points(chuo, "population.total")[2020]
    assert (total["method"], total["sources"]) == ("derived", [CENSUS])
    assert points(chuo, "population.aged_0_14") == {}


async def test_cross_section_with_ranks(loaded, client, estat) -> None:
    response = await client.get(
        "/api/population?level=prefecture&period=2020&indicators=population.total,"
        "population.aged_65_plus_share"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["level"], body["year"], len(body["regions"])) == ("prefecture", 2020, 47)
    by_code = {region["code"]: region["values"] for region in body["regions"]}
    totals = {
        code: estat.number(SSDSE_B, tab="00001", cat01="A1101", area=code, time=FY2020)
        for code in by_code
    }
    ordered = sorted(totals, key=lambda code: -totals[code])
    assert [by_code[code]["population.total"]["rank"] for code in ordered] == list(range(1, 48))
    assert ordered[:3] == ["13000", "14000", "27000"]
    assert by_code["31000"]["population.total"]["rank"] == 47  # Tottori
    assert by_code["05000"]["population.aged_65_plus_share"]["rank"] == 1  # Akita
    # Over the population of known age (as published), Okinawa's 2020 rate is the lowest.
    assert by_code["47000"]["population.aged_65_plus_share"]["rank"] == 47
    assert by_code["13000"]["population.aged_65_plus_share"]["rank"] == 46


async def test_cross_section_defaults_to_the_latest_year(loaded, client) -> None:
    body = (await client.get("/api/population?indicators=population.total")).json()
    assert body["year"] == 2020
    municipal = (
        await client.get(
            "/api/population?level=municipality&parent=13000&indicators=population.total"
        )
    ).json()
    assert municipal["parent"]["code"] == "13000"
    assert len(municipal["regions"]) == 62  # 23 wards + 26 cities + 5 towns + 8 villages
    chiyoda = next(region for region in municipal["regions"] if region["code"] == "13101")
    assert chiyoda["values"]["population.total"]["value"] == 66680
    setagaya = next(region for region in municipal["regions"] if region["code"] == "13112")
    assert setagaya["values"]["population.total"]["rank"] == 1
