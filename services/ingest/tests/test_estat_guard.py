"""The e-Stat client with the platform-wide request limit and the request metrics: the replay
server over real HTTP, the test run's real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from chiiki_ingest import estat_guard
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.estat import EStatAuthError, EStatClient, EStatUnavailable
from chiiki_ingest.estat.client import Guard
from chiiki_shared.runtime import redis_client
from chiiki_shared.semaphore import RedisSemaphore

LIMIT = 2
CALLERS = 6


@pytest.fixture
async def redis(platform) -> AsyncIterator[Redis]:
    client = redis_client(platform.redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def settings(platform, redis: Redis) -> AsyncIterator[IngestSettings]:
    """Settings with a key prefix of this test's own, whose keys are deleted afterwards."""
    prefix = f"{platform.redis_key_prefix}guard-{uuid.uuid4().hex[:8]}:"
    yield IngestSettings(
        REDIS_KEY_PREFIX=prefix,
        ESTAT_MAX_CONCURRENT_REQUESTS=LIMIT,
        estat_slot_lease_seconds=5,
        estat_slot_wait_seconds=30,
    )
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)


def _client(replay: Any, app_id: str, guard: Guard | None, **options: Any) -> EStatClient:
    return EStatClient(
        replay.api,
        app_id,
        timeout=5.0,
        max_attempts=options.pop("max_attempts", 4),
        max_retry_seconds=10.0,
        backoff_initial=0.01,
        backoff_max=0.05,
        guard=guard,
        **options,
    )


async def _count(client: EStatClient) -> int:
    async with client:
        return await client.count("0003445099")


async def _peak_of_concurrent_calls(replay: Any, clients: list[EStatClient]) -> int:
    """Each caller a client of its own, as in separate workers; the source answers slowly."""
    replay.control.delete("/concurrency").raise_for_status()
    replay.faults({"kind": "latency", "seconds": 0.3, "count": None})
    counts = await asyncio.gather(*(_count(client) for client in clients))
    assert counts == [16344] * CALLERS
    concurrency = replay.control.get("/concurrency").json()
    assert concurrency["in_flight"] == 0
    return int(concurrency["peak"])


async def test_never_more_than_the_limit_in_flight_at_the_source(
    replay, app_id, platform, redis, settings
):
    # A Redis connection of each caller's own: only the key in Redis is shared.
    connections = [redis_client(platform.redis_url) for _ in range(CALLERS)]
    guarded = [_client(replay, app_id, estat_guard.guard(own, settings)) for own in connections]
    try:
        assert await _peak_of_concurrent_calls(replay, guarded) == LIMIT
    finally:
        for own in connections:
            await own.aclose()
    assert len(replay.requests("getStatsData")) == CALLERS
    slots = RedisSemaphore(redis, estat_guard.key(settings, "slots"), LIMIT, 5)
    assert await slots.holders() == []  # every slot given back


async def test_without_the_limit_every_caller_is_in_flight_at_once(replay, app_id):
    # The same calls unguarded: what the limit above is holding back.
    clients = [_client(replay, app_id, None) for _ in range(CALLERS)]
    assert await _peak_of_concurrent_calls(replay, clients) == CALLERS


async def test_no_free_slot_is_a_transient_failure_retried_then_unavailable(
    replay, app_id, redis, settings
):
    slots = RedisSemaphore(redis, estat_guard.key(settings, "slots"), LIMIT, 5)
    for holder in ("worker-a", "worker-b"):  # other workers hold every slot
        assert await slots.try_acquire(holder)
    guard = estat_guard.guard(redis, settings)
    guard = Guard(guard.limiter, guard.observer, slot_wait_seconds=0.1)

    async with _client(replay, app_id, guard, max_attempts=2) as client:
        with pytest.raises(EStatUnavailable) as failure:
            await client.count("0003445099")
    assert str(failure.value).startswith(
        "e-Stat getStatsData failed after 2 attempts: no free e-Stat request slot (no slot "
        "within 0.1 s: all 2 slots of "
    )
    assert replay.requests() == []  # nothing reached the source
    counts = await estat_guard.read_counts(redis, settings)
    assert counts.retries == {("getStatsData", "no_slot"): 1}
    assert counts.responses == {}


async def test_requests_and_retries_are_counted_by_endpoint(replay, app_id, redis, settings):
    replay.faults({"kind": "status", "status": 503, "count": 2, "endpoint": "getStatsData"})
    guard = estat_guard.guard(redis, settings)
    async with _client(replay, app_id, guard) as client:
        assert await client.count("0003445099") == 16344
        await client.get_meta_info("0004021110")
    async with _client(replay, "wrong-app-id", guard) as wrong:
        with pytest.raises(EStatAuthError, match="STATUS 100"):
            await wrong.count("0003445099")

    counts = await estat_guard.read_counts(redis, settings)
    assert counts.responses == {
        ("getStatsData", "503", "none"): 2,
        ("getStatsData", "200", "0"): 1,
        ("getStatsData", "200", "100"): 1,
        ("getMetaInfo", "200", "0"): 1,
    }
    assert counts.retries == {("getStatsData", "http_503"): 2}
    assert sum(counts.latency["getStatsData"].values()) == 4
    assert sum(counts.latency["getMetaInfo"].values()) == 1
    assert 0 < counts.latency_sum["getMetaInfo"] < 5
