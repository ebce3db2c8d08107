"""The Redis semaphore against the test run's real Redis."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

from chiiki_shared.runtime import redis_client
from chiiki_shared.semaphore import RedisSemaphore, SlotUnavailable


@pytest.fixture
async def semaphore(platform) -> AsyncIterator[RedisSemaphore]:
    redis = redis_client(platform.redis_url)
    key = f"{platform.redis_key_prefix}test:semaphore:{uuid.uuid4().hex}"
    try:
        yield RedisSemaphore(redis, key, limit=3, lease_seconds=5)
    finally:
        await redis.delete(key)
        await redis.aclose()


async def _until(condition, within: float = 10) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_the_holder_after_the_limit_waits_until_one_releases(
    semaphore: RedisSemaphore,
) -> None:
    for holder in ("a", "b", "c"):
        await semaphore.acquire(holder, wait_seconds=1)
    fourth = asyncio.create_task(semaphore.acquire("d", wait_seconds=30))
    await asyncio.sleep(0.3)  # give the fourth holder time to (wrongly) get in
    assert not fourth.done()
    assert sorted(await semaphore.holders()) == ["a", "b", "c"]

    await semaphore.release("b")
    await asyncio.wait_for(fourth, timeout=10)
    assert sorted(await semaphore.holders()) == ["a", "c", "d"]


async def test_waiting_is_bounded_and_says_why(semaphore: RedisSemaphore) -> None:
    for holder in ("a", "b", "c"):
        await semaphore.acquire(holder, wait_seconds=1)
    with pytest.raises(SlotUnavailable, match=r"no slot within 0.2 s: all 3 slots of .* busy"):
        await semaphore.acquire("d", wait_seconds=0.2)
    assert "d" not in await semaphore.holders()


async def test_an_expired_lease_is_reclaimed(semaphore: RedisSemaphore) -> None:
    short = RedisSemaphore(semaphore.redis, semaphore.key, limit=1, lease_seconds=0.3)
    await short.acquire("killed-worker", wait_seconds=1)  # never released nor renewed
    assert not await short.try_acquire("next")
    await _until(lambda: short.try_acquire("next"))
    assert await short.holders() == ["next"]


async def test_release_is_idempotent(semaphore: RedisSemaphore) -> None:
    await semaphore.acquire("a", wait_seconds=1)
    await semaphore.release("a")
    await semaphore.release("a")
    await semaphore.release("never-held")
    assert await semaphore.holders() == []
    for holder in ("x", "y", "z"):  # every slot is free again, none counted twice
        assert await semaphore.try_acquire(holder)
    assert not await semaphore.try_acquire("w")


async def test_a_held_slot_outlives_its_lease_while_renewed(semaphore: RedisSemaphore) -> None:
    short = RedisSemaphore(semaphore.redis, semaphore.key, limit=1, lease_seconds=0.3)
    async with short.slot(wait_seconds=1) as holder:
        await asyncio.sleep(1.0)  # three lease lengths: renewed, not expired
        assert await short.holders() == [holder]
        assert not await short.try_acquire("other")
    assert await short.holders() == []
