"""Policies: per-user CRUD, and effect estimation with its edge cases, through the API."""

import uuid

import numpy as np
import pytest

BASE = "/api/analytics/policies"
POLICY = {
    "name": "Tokyo 2015 migration package",
    "region": "13000",
    "start_period": 2015,
    "target_indicators": ["population.total", "migration.in"],
    "description": "Tracked to see whether the trend changed.",
}


async def create(api, headers, **changes) -> dict:
    response = await api.post(BASE, json={**POLICY, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_user_creates_reads_changes_and_deletes_a_policy(api, login) -> None:
    alice = login(f"alice-{uuid.uuid4()}")
    response = await api.post(BASE, json=POLICY, headers=alice)
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{BASE}/{created['id']}"
    assert {k: created[k] for k in POLICY} == POLICY

    read = await api.get(f"{BASE}/{created['id']}", headers=alice)
    assert read.json() == created

    patched = await api.patch(f"{BASE}/{created['id']}", json={"start_period": 2016}, headers=alice)
    assert patched.status_code == 200, patched.text
    assert patched.json()["start_period"] == 2016
    assert patched.json()["name"] == POLICY["name"]

    listed = (await api.get(BASE, headers=alice)).json()
    assert [p["id"] for p in listed["items"]] == [created["id"]]
    assert listed["next"] is None

    assert (await api.delete(f"{BASE}/{created['id']}", headers=alice)).status_code == 204
    assert (await api.get(f"{BASE}/{created['id']}", headers=alice)).status_code == 404


async def test_users_see_only_their_own_and_admins_see_all(api, login, problem) -> None:
    alice, bob = login(f"alice-{uuid.uuid4()}"), login(f"bob-{uuid.uuid4()}")
    admin = login(f"admin-{uuid.uuid4()}", "admin")
    policy = await create(api, alice)
    path = f"{BASE}/{policy['id']}"
    problem(await api.get(path, headers=bob), 404, "not-found")
    problem(await api.patch(path, json={"name": "mine now"}, headers=bob), 404, "not-found")
    problem(await api.delete(path, headers=bob), 404, "not-found")
    assert (await api.get(BASE, headers=bob)).json() == {"items": [], "next": None}
    everything = (await api.get(BASE, params={"limit": 200}, headers=admin)).json()
    assert policy["id"] in {p["id"] for p in everything["items"]}
    assert (await api.get(BASE, params={"mine": "true"}, headers=admin)).json()["items"] == []
    renamed = await api.patch(path, json={"name": "Renamed by an admin"}, headers=admin)
    assert renamed.json()["name"] == "Renamed by an admin"


async def test_policies_need_a_token(api, problem) -> None:
    problem(await api.get(BASE), 401, "authentication-required")
    problem(await api.post(BASE, json=POLICY), 401, "authentication-required")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "body.name"),
        ({"region": "Tokyo"}, "body.region"),
        ({"target_indicators": []}, "body.target_indicators"),
        ({"target_indicators": ["population.total", "population.total"]}, "body.target_indicators"),
        ({"start_period": 1500}, "body.start_period"),
        ({"owner_id": "someone-else"}, "body.owner_id"),
    ],
)
async def test_invalid_policies_are_422(api, login, problem, changes, field) -> None:
    response = await api.post(BASE, json={**POLICY, **changes}, headers=login("alice"))
    body = problem(response, 422, "validation-failed")
    assert field in [e["field"] for e in body["errors"]]


async def test_unknown_references_are_404(api, login, problem) -> None:
    response = await api.post(
        BASE, json={**POLICY, "target_indicators": ["population.unknown"]}, headers=login("a")
    )
    assert problem(response, 404, "not-found")["resource"] == "indicator"
    response = await api.post(BASE, json={**POLICY, "region": "99000"}, headers=login("a"))
    assert problem(response, 404, "not-found")["resource"] == "region"


async def test_the_effect_of_a_policy_on_each_target(api, login) -> None:
    alice = login(f"alice-{uuid.uuid4()}")
    policy = await create(api, alice)
    response = await api.get(f"{BASE}/{policy['id']}/effect", headers=alice)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["region"]["code"] == "13000"
    assert [r["indicator"]["code"] for r in body["indicators"]] == POLICY["target_indicators"]
    for result in body["indicators"]:
        assert result["status"] == "estimated"
        assert (result["pre_period"], result["post_period"]) == (
            ["FY2009", "FY2014"],
            ["FY2015", "FY2020"],
        )
        assert (result["pre_years"], result["post_years"]) == ([2009, 2014], [2015, 2020])
        its = result["interrupted_time_series"]
        estimate = its["average_effect"]
        assert estimate["lower"] <= estimate["value"] <= estimate["upper"]
        placebo = its["placebo_in_time"]
        assert (placebo["start_period"], placebo["start_year"]) == ("FY2012", 2012)
        did = result["difference_in_differences"]
        assert len(did["comparison_regions"]) == 5
        assert "13000" not in {r["code"] for r in did["comparison_regions"]}
        rmses = [r["pre_period_rmse"] for r in did["comparison_regions"]]
        assert rmses == sorted(rmses)
        assert did["placebo_in_space"]["regions"] == 46
        assert "passed" in did["placebo_in_time"]


async def test_the_effect_carries_the_series_it_was_computed_from(api, login, real) -> None:
    alice = login(f"alice-{uuid.uuid4()}")
    policy = await create(api, alice, target_indicators=["migration.in"])
    body = (await api.get(f"{BASE}/{policy['id']}/effect", headers=alice)).json()
    (result,) = body["indicators"]
    series = result["series"]
    tokyo = real.values("ssdse-b-2023", "A5101", "13000")
    years = list(range(2009, 2021))
    assert series["unit"] == "人"
    assert {name: s["label"] for name, s in series.items() if name != "unit"} == {
        "treated_observed": "東京都（実績）",
        "counterfactual_trend": "東京都：反実仮想（施策前の趨勢）",
        "counterfactual_comparison": "東京都：反実仮想（比較地域）",
        "comparison_observed": "比較地域（平均）",
    }
    # Observed as published, each period labelled as stats labels it (SSDSE: fiscal years).
    assert series["treated_observed"]["points"] == [
        {"period": f"FY{y}", "year": y, "value": tokyo[y]} for y in years
    ]
    for name in ("counterfactual_trend", "counterfactual_comparison", "comparison_observed"):
        points = series[name]["points"]
        assert [(p["period"], p["year"]) for p in points] == [(f"FY{y}", y) for y in years]
    observed = np.array([tokyo[y] for y in years])
    post = np.array(years) >= 2015

    # The trend counterfactual is the least-squares line through the pre-period, continued.
    slope, intercept = np.polyfit(np.arange(6), observed[:6], 1)
    trend = [p["value"] for p in series["counterfactual_trend"]["points"]]
    assert trend == pytest.approx(intercept + slope * np.arange(12), rel=1e-9)
    its_effect = result["interrupted_time_series"]["average_effect"]["value"]
    assert float(np.mean((observed - trend)[post])) == pytest.approx(its_effect, rel=1e-9)

    # The comparison is the mean of the comparison regions' observed values.
    codes = [r["code"] for r in result["difference_in_differences"]["comparison_regions"]]
    donors = np.array([[real.values("ssdse-b-2023", "A5101", c)[y] for y in years] for c in codes])
    comparison = [p["value"] for p in series["comparison_observed"]["points"]]
    assert comparison == pytest.approx(donors.mean(axis=0), rel=1e-12)
    # Its counterfactual: each donor indexed to its pre-period mean, on Tokyo's pre-period level.
    path = (donors / donors[:, :6].mean(axis=1, keepdims=True)).mean(axis=0)
    path = path + (observed / observed[:6].mean() - path)[:6].mean()
    counterfactual = [p["value"] for p in series["counterfactual_comparison"]["points"]]
    assert counterfactual == pytest.approx(observed[:6].mean() * path, rel=1e-9)
    gap = observed - np.array(counterfactual)
    did_effect = result["difference_in_differences"]["estimate"]["value"]
    assert float(gap[post].mean()) == pytest.approx(did_effect, rel=1e-9)
    assert float(gap[~post].mean()) == pytest.approx(0, abs=1e-6)


async def test_the_effect_is_labelled_in_the_lang_asked_for_with_its_own_etag(
    api, login, problem
) -> None:
    alice = login(f"alice-{uuid.uuid4()}")
    policy = await create(api, alice, target_indicators=["migration.in"])
    path = f"{BASE}/{policy['id']}/effect"
    ja = await api.get(path, headers=alice)
    en = await api.get(path, params={"lang": "en"}, headers=alice)
    assert (ja.status_code, en.status_code) == (200, 200)
    series = en.json()["indicators"][0]["series"]
    assert series["unit"] == "persons"
    assert [series[name]["label"] for name in ("treated_observed", "comparison_observed")] == [
        "Tokyo (observed)",
        "Comparison regions (mean)",
    ]
    # The labels are the only difference; the numbers are the same.
    ja_series = ja.json()["indicators"][0]["series"]
    assert series["treated_observed"]["points"] == ja_series["treated_observed"]["points"]
    assert ja.headers["etag"] != en.headers["etag"]
    assert ja.headers["cache-control"] == "private, no-cache"
    again = await api.get(path, headers={**alice, "If-None-Match": ja.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    # A change of the policy is a new answer, with a new ETag.
    await api.patch(f"{BASE}/{policy['id']}", json={"start_period": 2016}, headers=alice)
    changed = await api.get(path, headers={**alice, "If-None-Match": ja.headers["etag"]})
    assert changed.status_code == 200
    assert changed.headers["etag"] != ja.headers["etag"]
    assert changed.json()["indicators"][0]["post_years"] == [2016, 2020]
    body = problem(
        await api.get(path, params={"lang": "fr"}, headers=alice), 422, "validation-failed"
    )
    assert [e["field"] for e in body["errors"]] == ["query.lang"]
    await api.delete(f"{BASE}/{policy['id']}", headers=alice)


async def test_too_few_periods_before_the_start_is_422_with_the_reason(api, login, problem) -> None:
    alice = login(f"alice-{uuid.uuid4()}")
    policy = await create(api, alice, start_period=2011)
    body = problem(
        await api.get(f"{BASE}/{policy['id']}/effect", headers=alice), 422, "insufficient-data"
    )
    assert "2 observation(s) before the start in 2011" in body["detail"]
    assert [i["indicator"] for i in body["indicators"]] == POLICY["target_indicators"]


async def test_too_few_periods_after_the_start_is_422(api, login, problem) -> None:
    alice = login(f"alice-{uuid.uuid4()}")
    policy = await create(api, alice, start_period=2020)
    body = problem(
        await api.get(f"{BASE}/{policy['id']}/effect", headers=alice), 422, "insufficient-data"
    )
    assert "1 observation(s) from the start in 2020; at least 2 are needed" in body["detail"]


async def test_a_start_outside_the_data_is_422(api, login, problem) -> None:
    alice = login(f"alice-{uuid.uuid4()}")
    policy = await create(api, alice, start_period=2024)
    body = problem(
        await api.get(f"{BASE}/{policy['id']}/effect", headers=alice), 422, "insufficient-data"
    )
    assert "the data cover 2009-2020" in body["detail"]


async def test_an_indicator_without_data_is_reported_beside_the_others(api, login) -> None:
    # The 2020 census table behind population.density is not loaded here: no series.
    alice = login(f"alice-{uuid.uuid4()}")
    policy = await create(api, alice, target_indicators=["population.total", "population.density"])
    body = (await api.get(f"{BASE}/{policy['id']}/effect", headers=alice)).json()
    total, density = body["indicators"]
    assert total["status"] == "estimated"
    assert density["status"] == "insufficient-data"
    assert density["reason"]


async def test_policies_are_listed_by_cursor_newest_first(api, login, problem) -> None:
    carol = login(f"carol-{uuid.uuid4()}")
    made = [await create(api, carol) for _ in range(3)]
    first = (await api.get(BASE, params={"limit": 2}, headers=carol)).json()
    assert [p["id"] for p in first["items"]] == [made[2]["id"], made[1]["id"]]
    assert first["next"].startswith(f"{BASE}?limit=2&cursor=")
    second = (await api.get(first["next"], headers=carol)).json()
    assert second == {"items": [made[0]], "next": None}
    problem(
        await api.get(BASE, params={"cursor": "bm90LWEtY3Vyc29y"}, headers=carol),
        422,
        "validation-failed",
    )
