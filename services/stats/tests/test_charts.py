"""Chart.js answers a chart can use as they come: units and one axis per unit, the published
precision, irregular years as points, ranked bars, KPI sparklines."""

SSDSE_B = "ssdse-b-2023"
C01 = "census-c01-1920-2015"
TOKYO, OSAKA = "13000", "27000"


async def test_a_two_unit_comparison_puts_each_unit_on_its_own_axis(loaded, client, estat) -> None:
    chart = (
        await client.get(
            "/api/comparison?regions=13000,27000&indicators=population.total,"
            "population.aged_65_plus_share&period=2020&national=false&format=chartjs"
        )
    ).json()

    def count(code: str, area: str) -> float:
        return estat.number(SSDSE_B, tab="00001", cat01=code, area=area, time="2020100000")

    population = [count("A1101", area) for area in (TOKYO, OSAKA)]
    # The ageing rate over the population of known age (the three age groups), as e-Stat's.
    ageing = [
        round(
            count("A1303", area) / sum(count(g, area) for g in ("A1301", "A1302", "A1303")) * 100,
            1,
        )
        for area in (TOKYO, OSAKA)
    ]
    assert ageing[0] == 22.8
    assert chart == {
        "labels": ["東京都", "大阪府"],
        "datasets": [
            {"label": "総人口", "data": population, "unit": "人", "yAxisID": "y-persons"},
            # e-Stat publishes the ageing rate with one decimal (Tokyo 2020: 22.8 %); the
            # unrounded ratio of the counts is 22.82...
            {
                "label": "65歳以上人口割合（高齢化率）",
                "data": ageing,
                "unit": "%",
                "yAxisID": "y-percent",
            },
        ],
        "axes": [
            {"id": "y-persons", "unit": "人", "position": "left"},
            {"id": "y-percent", "unit": "%", "position": "right"},
        ],
    }
    body = (
        await client.get(
            "/api/comparison?regions=13000,27000&indicators=population.aged_65_plus_share"
            "&period=2020&national=false"
        )
    ).json()
    shares = [entry["points"][0]["value"] for entry in body["series"]]
    assert [round(share, 1) for share in shares] == ageing
    assert shares[0] != 22.8  # JSON keeps the unrounded ratio


async def test_a_census_history_with_yearly_estimates_is_points_on_a_linear_axis(
    loaded, client, estat
) -> None:
    chart = (
        await client.get("/api/population/13000?indicators=population.total&format=chartjs")
    ).json()
    assert "labels" not in chart
    (dataset,) = chart["datasets"]
    years = [point["x"] for point in dataset["data"]]
    assert years == [*range(1920, 2010, 5), *range(2009, 2021)]
    first = estat.number(C01, tab="001", cat01="0", area=TOKYO, time="1920000000")
    assert dataset["data"][0] == {"x": 1920, "y": first}
    assert dataset["data"][-1] == {"x": 2020, "y": 14047594}
    assert (dataset["unit"], dataset["yAxisID"]) == ("人", "y-persons")
    # The census years alone are evenly spaced: category labels.
    regular = (
        await client.get(
            "/api/population/13000?indicators=population.total&from=1920&to=2005&format=chartjs"
        )
    ).json()
    assert regular["labels"] == [str(year) for year in range(1920, 2010, 5)]
    assert regular["datasets"][0]["data"][0] == first


async def test_cross_section_bars_sorted_and_cut_to_the_top(loaded, client, estat) -> None:
    route = "/api/indicators/population.total/cross-section?period=2020&format=chartjs"
    chart = (await client.get(route + "&sort=desc&top=3&lang=en")).json()
    assert chart["labels"] == ["Tokyo", "Kanagawa", "Osaka"]
    (dataset,) = chart["datasets"]
    assert dataset["data"] == [
        estat.number(SSDSE_B, tab="00001", cat01="A1101", area=area, time="2020100000")
        for area in (TOKYO, "14000", OSAKA)
    ]
    assert (dataset["label"], dataset["unit"]) == ("Total population", "persons")
    smallest = (await client.get(route + "&sort=asc&top=2")).json()
    assert smallest["labels"] == ["鳥取県", "島根県"]
    unsorted = (await client.get(route + "&top=2")).json()
    assert unsorted["labels"] == ["北海道", "青森県"]


async def test_ties_are_ordered_by_region_code(loaded, client) -> None:
    route = "/api/indicators/climate.mean_temperature/cross-section?period=2020"
    body = (await client.get(route)).json()
    values = {
        region["code"]: region["values"]["climate.mean_temperature"]["value"]
        for region in body["regions"]
    }
    assert len(set(values.values())) < len(values)  # the published 0.1 ℃ has ties
    names = {region["code"]: region["name_ja"] for region in body["regions"]}
    expected = sorted(values, key=lambda code: (values[code], code))
    chart = (await client.get(route + "&format=chartjs&sort=asc")).json()
    assert chart["labels"] == [names[code] for code in expected]
    assert chart["datasets"][0]["data"] == [values[code] for code in expected]
    descending = sorted(values, key=lambda code: (-values[code], code))
    chart = (await client.get(route + "&format=chartjs&sort=desc&top=47")).json()
    assert chart["labels"] == [names[code] for code in descending]


async def test_population_cross_section_sorts_by_the_first_indicator(loaded, client) -> None:
    chart = (
        await client.get(
            "/api/population?period=2020&indicators=population.aged_65_plus_share,"
            "population.total&format=chartjs&sort=desc&top=1&lang=en"
        )
    ).json()
    assert chart["labels"] == ["Akita"]
    assert [d["yAxisID"] for d in chart["datasets"]] == ["y-percent", "y-persons"]
    assert [len(d["data"]) for d in chart["datasets"]] == [1, 1]


async def test_kpi_sparklines_are_chartjs_data(loaded, client, estat) -> None:
    body = (
        await client.get(
            "/api/kpi?region=13000&indicators=population.total,population.aged_65_plus_share"
            "&sparkline=14&lang=en"
        )
    ).json()
    total, ageing = body["kpis"]
    # 2000 and 2005 are censuses, then yearly from 2009: points for a linear axis.
    spark = total["sparkline"]
    assert "labels" not in spark
    (dataset,) = spark["datasets"]
    assert [point["x"] for point in dataset["data"]] == [2000, 2005, *range(2009, 2021)]
    assert dataset["data"][-1] == {"x": 2020, "y": 14047594}
    assert (dataset["label"], dataset["unit"], dataset["yAxisID"]) == (
        "Total population",
        "persons",
        "y-persons",
    )
    assert spark["axes"] == [{"id": "y-persons", "unit": "persons", "position": "left"}]
    (shares,) = ageing["sparkline"]["datasets"]
    assert ageing["sparkline"]["labels"] == [str(year) for year in range(2009, 2021)][-14:]
    assert shares["data"][-1] == 22.8
    assert shares["unit"] == "%"


async def test_top_and_sort_out_of_range_are_422(loaded, client) -> None:
    route = "/api/indicators/population.total/cross-section?format=chartjs"
    response = await client.get(route + "&top=0&sort=up")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation-failed"
    assert {error["field"]: error["message"] for error in body["errors"]} == {
        "query.sort": "Input should be 'asc' or 'desc'",
        "query.top": "Input should be greater than or equal to 1",
    }
    too_many = (await client.get(route + "&top=2001")).json()
    assert too_many["errors"] == [
        {
            "field": "query.top",
            "message": "Input should be less than or equal to 2000",
            "type": "less_than_equal",
        }
    ]
