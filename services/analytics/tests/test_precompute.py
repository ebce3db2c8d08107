"""Stored forecasts: precomputed per data version, recomputed when stats announces a new one,
and read without fitting anything."""

import asyncio

import pytest
import redis.asyncio as aioredis

from chiiki_analytics.services.stored_forecasts import precompute
from chiiki_analytics.stats_client import StatsClient
from chiiki_analytics.tasks import dataset_updated

MAP = "/api/forecasts/prefectures"


@pytest.fixture
def worker_client(analytics_app, login) -> StatsClient:
    client = analytics_app[0].state.runtime.extras["stats_client"]
    return client.with_authorization(login("analytics-worker", "admin")["Authorization"])


async def stored(api, login, indicator: str, period: int) -> dict:
    response = await api.get(
        MAP, params={"indicator": indicator, "period": period}, headers=login("a")
    )
    assert response.status_code == 200, response.text
    return response.json()


async def etag_of(api, login, indicator: str, period: int) -> str:
    """The map's ETag, after checking that it answers 304 to itself."""
    params = {"indicator": indicator, "period": period}
    response = await api.get(MAP, params=params, headers=login("a"))
    etag = response.headers["etag"]
    again = await api.get(MAP, params=params, headers={**login("a"), "If-None-Match": etag})
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    return etag


async def apply_and_announce(stats_app, feed, **keep) -> list[str]:
    """Apply a version of SSDSE-B-2023 in stats and deliver its ``analytics.dataset_updated``
    to the analytics task (run in a thread: the task starts its own event loop); the indicators
    it asks the worker to recompute."""
    status, messages = await feed.publish(
        stats_app.state.runtime, *feed.messages("ssdse-b-2023", **keep)
    )
    assert status == "applied", status
    (announcement,) = [payload for name, payload in messages if name == "analytics.dataset_updated"]
    assert "vital.marriages" in announcement["indicators"]
    return await asyncio.to_thread(dataset_updated, announcement)


async def test_forecasts_are_precomputed_once_per_data_version(
    analytics_app, worker_client, api, login
) -> None:
    sessions = analytics_app[0].state.runtime.sessions
    outcome = await precompute(sessions, worker_client, "vital.deaths", horizon=10, stale_after=900)
    assert outcome == "computed"
    assert (
        await precompute(sessions, worker_client, "vital.deaths", horizon=10, stale_after=900)
        == "up-to-date"
    )
    body = await stored(api, login, "vital.deaths", 2025)
    assert (body["period"], body["year"], body["stale"]) == ("FY2025", 2025, False)
    assert len(body["regions"]) == 47
    assert all(r["value"] is not None and r["horizon"] == 5 for r in body["regions"])
    assert {
        (r["last_observed"]["period"], r["last_observed"]["year"]) for r in body["regions"]
    } == {("FY2020", 2020)}
    assert "ssdse-b-2023@" in body["data_version"]


async def test_a_new_data_version_is_stale_until_recomputed(
    analytics_app, stats_app, feed, worker_client, api, login
) -> None:
    sessions = analytics_app[0].state.runtime.sessions
    await precompute(sessions, worker_client, "vital.births", horizon=10, stale_after=900)
    before = await stored(api, login, "vital.births", 2024)
    etags = [await etag_of(api, login, "vital.births", 2024)]
    assert etags[0] != await etag_of(api, login, "vital.births", 2025)
    try:
        # A version holding the values published up to FY2019: real numbers, another vintage.
        recompute = await apply_and_announce(
            stats_app, feed, keep=lambda cell: cell["time"] < "2020"
        )
        # What is stored (and the indicators always kept ready) is recomputed, nothing else.
        assert {"vital.births", "population.total"} <= set(recompute)
        assert "vital.marriages" not in recompute
        stale = await stored(api, login, "vital.births", 2024)
        assert (stale["stale"], stale["data_version"]) == (True, before["data_version"])
        etags.append(await etag_of(api, login, "vital.births", 2024))
        assert (
            await precompute(sessions, worker_client, "vital.births", horizon=10, stale_after=900)
            == "computed"
        )
        recomputed = await stored(api, login, "vital.births", 2024)
        etags.append(await etag_of(api, login, "vital.births", 2024))
        # Stale, then recomputed: each a new answer with its own ETag.
        assert len(set(etags)) == 3
        assert recomputed["stale"] is False
        assert recomputed["data_version"] != before["data_version"]
        assert {r["last_observed"]["period"] for r in recomputed["regions"]} == {"FY2019"}
    finally:
        await apply_and_announce(stats_app, feed)
    assert (
        await precompute(sessions, worker_client, "vital.births", horizon=10, stale_after=900)
        == "computed"
    )
    latest = await stored(api, login, "vital.births", 2024)
    assert {r["last_observed"]["period"] for r in latest["regions"]} == {"FY2020"}


async def test_a_read_before_any_precomputation_asks_the_worker_and_answers_503(
    api, login, problem, platform
) -> None:
    params = {"indicator": "vital.marriages", "period": 2025}
    for _ in range(3):
        response = await api.get(MAP, params=params, headers=login("a"))
        problem(response, 503, "forecasts-pending")
    assert response.headers["retry-after"] == "10"
    client = aioredis.from_url(platform.redis_url)
    try:
        queued = await client.lrange(f"{platform.redis_key_prefix}analytics", 0, -1)
    finally:
        await client.aclose()
    # Asked once, however many reads came.
    assert b"".join(queued).count(b"vital.marriages") == 1


async def test_unknown_indicator_and_uncovered_period(api, login, problem) -> None:
    unknown = await api.get(
        MAP, params={"indicator": "vital.nothing", "period": 2025}, headers=login("a")
    )
    problem(unknown, 404, "not-found")
    beyond = await api.get(
        MAP, params={"indicator": "vital.deaths", "period": 2040}, headers=login("a")
    )
    body = problem(beyond, 422, "period-out-of-range")
    assert "they cover 2021-2030 (10 periods ahead" in body["detail"]
