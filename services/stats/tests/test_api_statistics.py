"""Summary statistics, correlation, growth and moving averages, checked against the standard
library's statistics module on the recorded cells."""

import math
import statistics

import pytest
from scipy.stats import rankdata

SSDSE_B = "ssdse-b-2023"
PREFECTURES = [f"{n:02d}000" for n in range(1, 48)]


def ssdse(estat, cat01: str, area: str, year: int = 2020) -> float:
    return estat.number(SSDSE_B, tab="00001", cat01=cat01, area=area, time=f"{year}100000")


def ranked(values: list[float]) -> list[float]:
    # SciPy's ranks (ties averaged), not the service's own: an independent check of Spearman's.
    return [float(rank) for rank in rankdata(values, method="average")]


async def test_summary_of_the_ageing_rate(loaded, client, estat) -> None:
    response = await client.get(
        "/api/statistics/summary?indicator=population.aged_65_plus_share&period=2020"
    )
    assert response.status_code == 200
    stats = response.json()["statistics"]
    values = {
        code: ssdse(estat, "A1303", code)
        / sum(ssdse(estat, group, code) for group in ("A1301", "A1302", "A1303"))
        * 100
        for code in PREFECTURES
    }
    data = list(values.values())
    q1, _, q3 = statistics.quantiles(data, n=4, method="inclusive")
    assert stats["count"] == 47
    assert stats["missing"] == []
    assert stats["mean"] == pytest.approx(statistics.fmean(data), rel=1e-10)
    assert stats["median"] == pytest.approx(statistics.median(data), rel=1e-10)
    assert stats["std"] == pytest.approx(statistics.stdev(data), rel=1e-10)
    assert (stats["q1"], stats["q3"]) == (
        pytest.approx(q1, rel=1e-10),
        pytest.approx(q3, rel=1e-10),
    )
    assert stats["cv"] == pytest.approx(statistics.stdev(data) / statistics.fmean(data), rel=1e-10)
    assert stats["min"]["region"]["code"] == "47000"  # Okinawa, over the known-age population
    assert stats["max"]["region"]["code"] == "05000"
    assert stats["max"]["value"] == pytest.approx(values["05000"], rel=1e-10)
    assert stats["sum"] is None  # shares do not add up


async def test_summary_of_a_count_over_chosen_regions(loaded, client, estat) -> None:
    body = (
        await client.get(
            "/api/statistics/summary?indicator=population.total&regions=13000,14000,27000,11000&period=FY2020"
        )
    ).json()
    data = [ssdse(estat, "A1101", code) for code in ("13000", "14000", "27000", "11000")]
    assert body["scope"]["regions"] == ["13000", "14000", "27000", "11000"]
    assert body["statistics"]["sum"] == sum(data)
    assert body["statistics"]["median"] == statistics.median(data)
    csv_rows = (
        (
            await client.get(
                "/api/statistics/summary?indicator=population.total&regions=13000,27000&period=2020&format=csv"
            )
        )
        .text.strip()
        .split("\r\n")
    )
    assert csv_rows[0] == "statistic,value,region_code,attribution"
    assert any(row.startswith("max,14047594,13000,") for row in csv_rows)


async def test_correlation_pearson_and_spearman(loaded, client, estat) -> None:
    response = await client.get(
        "/api/statistics/correlation?x=population.aged_65_plus_share&y=vital.crude_birth_rate"
        "&period=2020"
    )
    assert response.status_code == 200
    body = response.json()
    x = [
        ssdse(estat, "A1303", code)
        / sum(ssdse(estat, group, code) for group in ("A1301", "A1302", "A1303"))
        * 100
        for code in PREFECTURES
    ]
    y = [ssdse(estat, "A4101", code) / ssdse(estat, "A1101", code) * 1000 for code in PREFECTURES]
    coefficients = body["coefficients"]
    assert coefficients["n"] == 47
    assert coefficients["pearson"] == pytest.approx(statistics.correlation(x, y), rel=1e-9)
    assert coefficients["spearman"] == pytest.approx(
        statistics.correlation(ranked(x), ranked(y)), rel=1e-9
    )
    assert coefficients["pearson"] < -0.5
    assert len(body["points"]) == 47
    chart = (
        await client.get(
            "/api/statistics/correlation?x=population.aged_65_plus_share&y=vital.crude_birth_rate"
            "&period=2020&format=chartjs"
        )
    ).json()
    assert len(chart["labels"]) == len(chart["datasets"][0]["data"]) == 47
    assert set(chart["datasets"][0]["data"][0]) == {"x", "y"}


async def test_growth_and_cagr(loaded, client, estat) -> None:
    body = (
        await client.get(
            "/api/statistics/growth?indicator=population.total&region=13000&from=2009&to=2020"
        )
    ).json()
    rows = {row["year"]: row for row in body["points"]}
    first, last = ssdse(estat, "A1101", "13000", 2009), 14047594
    previous = ssdse(estat, "A1101", "13000", 2019)
    assert rows[2009]["yoy_percent"] is None
    assert rows[2020]["yoy_change"] == last - previous
    assert rows[2020]["yoy_percent"] == pytest.approx((last / previous - 1) * 100, rel=1e-9)
    assert body["cagr"]["from"] == 2009
    assert body["cagr"]["percent"] == pytest.approx(
        ((last / first) ** (1 / 11) - 1) * 100, rel=1e-9
    )


async def test_growth_across_census_gaps_is_not_year_over_year(loaded, client) -> None:
    body = (
        await client.get(
            "/api/statistics/growth?indicator=population.total&region=13000&from=1995&to=2005"
        )
    ).json()
    assert [row["year"] for row in body["points"]] == [1995, 2000, 2005]
    assert all(row["yoy_percent"] is None for row in body["points"])
    cagr = body["cagr"]["percent"]
    assert cagr == pytest.approx(((12576601 / 11773605) ** (1 / 10) - 1) * 100, rel=1e-9)


async def test_moving_average(loaded, client, estat) -> None:
    body = (
        await client.get(
            "/api/statistics/moving-average?indicator=population.total&region=13000"
            "&from=2009&to=2020&window=3"
        )
    ).json()
    rows = {row["year"]: row for row in body["points"]}
    assert rows[2010]["moving_average"] is None
    window = [ssdse(estat, "A1101", "13000", year) for year in (2018, 2019, 2020)]
    assert rows[2020]["moving_average"] == pytest.approx(statistics.fmean(window), rel=1e-10)
    chart = (
        await client.get(
            "/api/statistics/moving-average?indicator=population.total&region=13000"
            "&from=2009&to=2020&window=3&format=chartjs"
        )
    ).json()
    assert [dataset["label"] for dataset in chart["datasets"]] == [
        "総人口",
        "総人口 (3-year moving average)",
    ]
    assert chart["datasets"][1]["data"][:2] == [None, None]
    assert not any(isinstance(v, float) and math.isnan(v) for v in chart["datasets"][1]["data"])
