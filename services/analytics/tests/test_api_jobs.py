"""Jobs: 202 with an id, the same parameters give the same job, the worker's run, failures."""

import uuid

import pytest
import redis.asyncio as aioredis

from chiiki_analytics.services import jobs
from chiiki_analytics.stats_client import StatsClient

JOBS = "/api/analytics/jobs"


@pytest.fixture
def worker_client(analytics_app, login):
    """What the worker uses: the stats client, calling as a service account would."""
    app, _ = analytics_app
    client = app.state.runtime.extras["stats_client"]
    assert isinstance(client, StatsClient)
    return client.with_authorization(login("analytics-worker", "admin")["Authorization"])


async def run_job(analytics_app, worker_client, job_id: str) -> str:
    runtime = analytics_app[0].state.runtime
    return await jobs.run(runtime.sessions, worker_client, uuid.UUID(job_id), stale_after=900)


async def queued_run_jobs(platform) -> list[bytes]:
    """Messages waiting on the analytics queue (the bus keeps them under the run's prefix)."""
    client = aioredis.from_url(platform.redis_url)
    try:
        return await client.lrange(f"{platform.redis_key_prefix}analytics", 0, -1)
    finally:
        await client.aclose()


async def test_a_job_is_accepted_and_the_same_parameters_give_the_same_job(
    api, login, platform
) -> None:
    params = {"kind": "forecast", "indicator": "vital.births", "region": "27000", "horizon": 4}
    first = await api.post(JOBS, json=params, headers=login("alice"))
    assert first.status_code == 202, first.text
    job = first.json()
    assert job["status"] == "queued"
    assert first.headers["location"] == f"{JOBS}/{job['id']}"
    again = await api.post(JOBS, json=params, headers=login("bob"))
    assert (again.status_code, again.json()["id"]) == (202, job["id"])
    other = await api.post(JOBS, json={**params, "horizon": 3}, headers=login("alice"))
    assert other.json()["id"] != job["id"]
    # The task was sent after the commit, once per new job.
    queued = b"".join(await queued_run_jobs(platform))
    assert queued.count(job["id"].encode()) == 1


async def test_the_worker_runs_a_job_once_and_stores_its_result(
    api, login, analytics_app, worker_client
) -> None:
    params = {"kind": "forecast", "indicator": "population.total", "region": "40000", "as_of": 2017}
    job = (await api.post(JOBS, json=params, headers=login("alice"))).json()
    assert await run_job(analytics_app, worker_client, job["id"]) == "succeeded"
    assert await run_job(analytics_app, worker_client, job["id"]) == "skipped"
    done = (await api.get(f"{JOBS}/{job['id']}", headers=login("bob"))).json()
    assert done["status"] == "succeeded"
    direct = await api.get(
        "/api/forecasts",
        params={"indicator": "population.total", "region": "40000", "as_of": 2017},
        headers=login("alice"),
    )
    assert done["result"] == direct.json()


async def test_a_regional_job_forecasts_every_prefecture(
    api, login, analytics_app, worker_client
) -> None:
    params = {"kind": "regional_forecast", "indicator": "vital.deaths", "horizon": 2, "as_of": 2018}
    job = (await api.post(JOBS, json=params, headers=login("alice"))).json()
    assert await run_job(analytics_app, worker_client, job["id"]) == "succeeded"
    result = (await api.get(f"{JOBS}/{job['id']}", headers=login("alice"))).json()["result"]
    assert len(result["regions"]) == 47
    firsts = [r["forecast"]["forecasts"][0] for r in result["regions"]]
    assert {(f["period"], f["year"]) for f in firsts} == {("FY2019", 2019)}
    assert all(r["forecast"]["forecasts"][0]["actual"] is not None for r in result["regions"])


async def test_a_failed_job_says_why_and_is_queued_again_when_asked_again(
    api, login, analytics_app, worker_client
) -> None:
    params = {"kind": "forecast", "indicator": "population.total", "region": "01000", "as_of": 2011}
    job = (await api.post(JOBS, json=params, headers=login("alice"))).json()
    assert await run_job(analytics_app, worker_client, job["id"]) == "failed"
    failed = (await api.get(f"{JOBS}/{job['id']}", headers=login("alice"))).json()
    assert failed["status"] == "failed"
    assert failed["error"]["status"] == 422
    assert failed["error"]["code"] == "insufficient-data"
    retried = (await api.post(JOBS, json=params, headers=login("alice"))).json()
    assert (retried["id"], retried["status"], retried["error"]) == (job["id"], "queued", None)


async def test_policy_effect_jobs_belong_to_who_may_see_the_policy(
    api, login, problem, analytics_app, worker_client
) -> None:
    alice, bob = login(f"alice-{uuid.uuid4()}"), login(f"bob-{uuid.uuid4()}")
    policy = (
        await api.post(
            "/api/analytics/policies",
            json={
                "name": "Osaka births",
                "region": "27000",
                "start_period": 2014,
                "target_indicators": ["vital.births"],
            },
            headers=alice,
        )
    ).json()
    params = {"kind": "policy_effect", "policy_id": policy["id"]}
    problem(await api.post(JOBS, json=params, headers=bob), 404, "not-found")
    job = (await api.post(JOBS, json=params, headers=alice)).json()
    problem(await api.get(f"{JOBS}/{job['id']}", headers=bob), 404, "not-found")
    assert await run_job(analytics_app, worker_client, job["id"]) == "succeeded"
    result = (await api.get(f"{JOBS}/{job['id']}", headers=alice)).json()["result"]
    assert result["indicators"][0]["status"] == "estimated"
    # Editing the policy changes what the job computes: asking again gives a new job.
    await api.patch(
        f"/api/analytics/policies/{policy['id']}", json={"start_period": 2015}, headers=alice
    )
    assert (await api.post(JOBS, json=params, headers=alice)).json()["id"] != job["id"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (
            {"kind": "forecast", "indicator": "population.total", "region": "13000", "horizon": 20},
            422,
            "validation-failed",
        ),
        ({"kind": "nothing"}, 422, "validation-failed"),
        ({"kind": "forecast", "indicator": "population.none", "region": "13000"}, 404, "not-found"),
    ],
)
async def test_bad_job_requests(api, login, problem, body, status, code) -> None:
    problem(await api.post(JOBS, json=body, headers=login("alice")), status, code)


async def test_unknown_job_is_404(api, login, problem) -> None:
    problem(await api.get(f"{JOBS}/{uuid.uuid4()}", headers=login("alice")), 404, "not-found")
