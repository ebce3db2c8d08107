"""Livability scores and the weighted composite, recomputed here from the recorded cells."""

import pytest

SSDSE_B, FY2020 = "ssdse-b-2023", "2020100000"
PREFECTURES = [f"{n:02d}000" for n in range(1, 48)]
COMPONENTS = [
    "labour.job_openings_ratio",
    "health.hospitals_per_100k",
    "health.clinics_per_100k",
    "health.physicians_per_100k",
    "education.pupils_per_elementary_teacher",
    "welfare.nursery_waiting_children",
    "environment.waste_per_capita_per_day",
    "environment.recycling_rate",
]


def only(**weights: float) -> str:
    """A weights parameter giving these weights and 0 to every other component."""
    given = dict.fromkeys(COMPONENTS, 0.0)
    given.update({code.replace("__", "."): weight for code, weight in weights.items()})
    return ",".join(f"{code}:{weight:g}" for code, weight in given.items())


def ssdse(estat, cat01: str, area: str) -> float:
    return estat.number(SSDSE_B, tab="00001", cat01=cat01, area=area, time=FY2020)


def minmax(values: dict[str, float], higher_is_better: bool) -> dict[str, float]:
    low, high = min(values.values()), max(values.values())
    if higher_is_better:
        return {code: 100 * (value - low) / (high - low) for code, value in values.items()}
    return {code: 100 * (high - value) / (high - low) for code, value in values.items()}


async def test_components_and_defaults(loaded, client) -> None:
    body = (await client.get("/api/livability/components")).json()
    defaults = {item["code"]: item["default_weight"] for item in body["components"]}
    assert list(defaults) == COMPONENTS
    assert defaults["welfare.nursery_waiting_children"] == 0
    assert {item["direction"] for item in body["components"]} == {
        "higher_is_better",
        "lower_is_better",
    }


async def test_one_component_is_its_min_max_score(loaded, client, estat) -> None:
    weights = only(health__hospitals_per_100k=1)
    response = await client.get(f"/api/livability?period=2020&weights={weights}")
    assert response.status_code == 200
    body = response.json()
    expected = minmax(
        {
            code: ssdse(estat, "I510120", code) / ssdse(estat, "A1101", code) * 100000
            for code in PREFECTURES
        },
        higher_is_better=True,
    )
    scores = {region["code"]: region["score"] for region in body["regions"]}
    assert scores == {code: pytest.approx(value, abs=1e-4) for code, value in expected.items()}
    assert body["regions"][0]["code"] == "39000"  # Kochi has the most hospitals per person
    assert (body["regions"][0]["score"], body["regions"][0]["rank"]) == (100.0, 1)
    assert body["regions"][-1]["score"] == 0.0
    assert body["weights"] == {"health.hospitals_per_100k": 1.0}
    assert body["excluded"] == []


async def test_weights_direction_and_contributions(loaded, client, estat) -> None:
    weights = only(labour__job_openings_ratio=2, environment__waste_per_capita_per_day=1)
    body = (await client.get(f"/api/livability?period=2020&weights={weights}")).json()
    jobs = minmax(
        {
            code: ssdse(estat, "X7DF5D2", code) / ssdse(estat, "XF26197", code)
            for code in PREFECTURES
        },
        higher_is_better=True,
    )
    waste = minmax(
        {code: ssdse(estat, "H5610", code) for code in PREFECTURES}, higher_is_better=False
    )
    tokyo = next(region for region in body["regions"] if region["code"] == "13000")
    assert tokyo["score"] == pytest.approx((2 * jobs["13000"] + waste["13000"]) / 3, abs=1e-4)
    parts = tokyo["components"]
    assert parts["labour.job_openings_ratio"]["contribution"] == pytest.approx(
        2 * jobs["13000"] / 3, abs=1e-4
    )
    assert sum(part["contribution"] for part in parts.values()) == pytest.approx(
        tokyo["score"], abs=1e-3
    )
    assert parts["environment.waste_per_capita_per_day"]["value"] == ssdse(estat, "H5610", "13000")
    ranks = [region["rank"] for region in body["regions"]]
    assert ranks == sorted(ranks)
    assert [c["direction"] for c in body["components"]] == ["higher_is_better", "lower_is_better"]


async def test_defaults_leave_out_what_the_level_lacks(loaded, client) -> None:
    body = (await client.get("/api/livability")).json()
    assert body["year"] == 2020
    assert body["excluded"] == [
        {"code": "health.physicians_per_100k", "reason": "no value at this level in 2020"}
    ]
    assert "welfare.nursery_waiting_children" not in body["weights"]
    assert all(region["coverage"] == 1.0 for region in body["regions"])
    assert sorted(region["rank"] for region in body["regions"]) == list(range(1, 48))


async def test_one_regions_breakdown_matches_the_index(loaded, client) -> None:
    index = (await client.get("/api/livability?period=2020")).json()
    tokyo_in_index = next(region for region in index["regions"] if region["code"] == "13000")
    body = (await client.get("/api/livability/13000?period=2020")).json()
    assert (body["score"], body["rank"], body["ranked_regions"]) == (
        tokyo_in_index["score"],
        tokyo_in_index["rank"],
        47,
    )
    contributions = [component["contribution"] for component in body["components"]]
    assert contributions == sorted(contributions, reverse=True)
    chart = (await client.get("/api/livability/13000?period=2020&format=chartjs&lang=en")).json()
    assert chart["datasets"] == [
        {"label": "Tokyo", "data": contributions, "unit": "points", "yAxisID": "y-points"}
    ]
    assert chart["labels"][0] == next(
        c["name_en"] for c in body["components"] if c["contribution"] == contributions[0]
    )


async def test_municipal_scores_use_municipal_components(loaded, client) -> None:
    body = (
        await client.get(
            "/api/livability?level=municipality&parent=13000&period=2020&weights="
            + only(health__physicians_per_100k=1)
        )
    ).json()
    assert len(body["regions"]) == 62
    assert body["regions"][0]["score"] == 100.0
    assert body["components"][0]["regions_with_value"] == 62
