"""Throttling in Redis: sliding windows of failed attempts, per account and per client IP.

An attempt reserves a slot in every window it counts against, atomically (one Lua script), before
the password is checked, so parallel requests cannot overshoot a limit; a successful login gives
its slots back. A full window answers with the seconds until its oldest slot expires.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

logger = structlog.get_logger(__name__)

_RESERVE = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= limit then
    local oldest = tonumber(redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2])
    wait = math.max(wait, math.ceil(oldest + window - now))
  end
end
if wait > 0 then
  return wait
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('EXPIRE', key, tonumber(ARGV[2 + 2 * i]))
end
return 0
"""


@dataclass(frozen=True)
class Window:
    """At most ``limit`` events in any ``seconds`` under ``key``."""

    key: str
    limit: int
    seconds: int


@dataclass(frozen=True)
class Reservation:
    windows: tuple[Window, ...]
    member: str


class Throttle:
    def __init__(self, redis: Redis, key_prefix: str) -> None:
        self.redis = redis
        self.key_prefix = key_prefix
        self._reserve = redis.register_script(_RESERVE)

    def key(self, kind: str, subject: str) -> str:
        # Subjects (emails, addresses) are hashed: no personal data in key names.
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        return f"{self.key_prefix}throttle:{kind}:{digest}"

    async def reserve(self, windows: Sequence[Window]) -> Reservation | int:
        """A reservation in every window, or the seconds to wait when one of them is full."""
        member = f"{time.time():.6f}:{uuid.uuid4().hex}"
        args: list[str | int | float] = [time.time(), member]
        for window in windows:
            args.extend((window.limit, window.seconds))
        wait = int(await self._reserve(keys=[window.key for window in windows], args=args))
        return wait if wait > 0 else Reservation(tuple(windows), member)

    async def release(self, reservation: Reservation) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for window in reservation.windows:
                pipe.zrem(window.key, reservation.member)
            await pipe.execute()

    async def release_quietly(self, reservation: Reservation) -> None:
        """Give the slots back if Redis lets us; left over, they expire with their window."""
        try:
            await self.release(reservation)
        except (RedisError, OSError) as exc:
            logger.warning("throttle_release_failed", error=type(exc).__name__)

    @asynccontextmanager
    async def attempt(
        self, reservation: Reservation, *, failure: type[Exception]
    ) -> AsyncIterator[None]:
        """Around the check of an attempt: a ``failure`` (wrong credentials) keeps the slots;
        success gives them back, and so does any other exception, which is ours, not the
        caller's."""
        try:
            yield
        except failure:
            raise
        except BaseException:
            await self.release_quietly(reservation)
            raise
        await self.release(reservation)
