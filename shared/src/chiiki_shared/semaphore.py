"""A counting semaphore in Redis shared by every process: at most ``limit`` holders at once.

The holders are a sorted set of holder ids scored by when their lease runs out (Redis's own
clock, in milliseconds). Acquiring first drops the expired leases, so a process killed while it
held a slot gives it back when its lease runs out instead of holding it for ever; a live holder
renews its lease from a background task for as long as it holds the slot. Acquire, renew and
release are each one Lua script, so two processes can never both take the last slot.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = structlog.get_logger("chiiki_shared.semaphore")

# KEYS[1] the set; ARGV: limit, lease ms, holder id. 1 when taken (or already held), else 0.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) == false
   and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
"""

# KEYS[1] the set; ARGV: lease ms, holder id. 1 when renewed, 0 when the lease was lost.
_RENEW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local expires = redis.call('ZSCORE', KEYS[1], ARGV[2])
if expires == false or tonumber(expires) <= now_ms then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""

_FIRST_WAIT_SECONDS = 0.02
_MAX_WAIT_SECONDS = 0.5


class SlotUnavailable(Exception):
    """No slot became free within the wait allowed (every slot busy, or Redis unreachable)."""


class RedisSemaphore:
    def __init__(self, redis: Redis, key: str, limit: int, lease_seconds: float) -> None:
        if limit < 1:
            raise ValueError("a semaphore needs at least one slot")
        if lease_seconds <= 0:
            raise ValueError("a lease must last some time")
        self.redis, self.key, self.limit = redis, key, limit
        self.lease_ms = max(1, round(lease_seconds * 1000))

    async def try_acquire(self, holder: str) -> bool:
        taken = await self.redis.eval(_ACQUIRE, 1, self.key, self.limit, self.lease_ms, holder)
        return bool(taken)

    async def acquire(self, holder: str, wait_seconds: float) -> None:
        """Wait up to ``wait_seconds`` for a slot; ``SlotUnavailable`` after that."""
        deadline = time.monotonic() + wait_seconds
        wait = _FIRST_WAIT_SECONDS
        while True:
            try:
                if await self.try_acquire(holder):
                    return
                why = f"all {self.limit} slots of {self.key} busy"
            except RedisError as error:
                why = f"Redis unavailable ({type(error).__name__})"
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SlotUnavailable(f"no slot within {wait_seconds:g} s: {why}")
            # Jittered, growing waits: holders released at once do not all ask again together.
            await asyncio.sleep(min(remaining, random.uniform(wait / 2, wait)))  # noqa: S311
            wait = min(wait * 2, _MAX_WAIT_SECONDS)

    async def renew(self, holder: str) -> bool:
        renewed = await self.redis.eval(_RENEW, 1, self.key, self.lease_ms, holder)
        return bool(renewed)

    async def release(self, holder: str) -> None:
        """Give the slot back; releasing a slot not held (or already expired) does nothing."""
        await self.redis.zrem(self.key, holder)

    async def holders(self) -> list[str]:
        """The ids holding an unexpired lease (for operators and tests)."""
        now_s, now_us = await self.redis.time()
        now_ms = now_s * 1000 + now_us // 1000
        members: list[Any] = await self.redis.zrangebyscore(self.key, f"({now_ms}", "+inf")
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]

    @asynccontextmanager
    async def slot(self, wait_seconds: float) -> AsyncIterator[str]:
        """Hold one slot for the block, renewing its lease meanwhile; yields the holder id."""
        holder = uuid.uuid4().hex
        await self.acquire(holder, wait_seconds)
        renewer = asyncio.create_task(self._keep_renewing(holder))
        try:
            yield holder
        finally:
            renewer.cancel()
            with suppress(asyncio.CancelledError):
                await renewer
            try:
                await self.release(holder)
            except RedisError as error:  # the lease runs out on its own
                logger.warning("semaphore.release_failed", key=self.key, error=str(error))

    async def _keep_renewing(self, holder: str) -> None:
        interval = self.lease_ms / 3000
        while True:
            await asyncio.sleep(interval)
            try:
                if not await self.renew(holder):
                    logger.warning("semaphore.lease_lost", key=self.key)
                    return
            except RedisError as error:
                logger.warning("semaphore.renew_failed", key=self.key, error=str(error))
