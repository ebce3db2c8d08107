"""The long-lived resources of one service process: settings, database engine, Redis client.

Created in the app's lifespan (or a worker's event loop) and closed with it; asyncpg connections
cannot cross event loops, so each loop builds its own ``Runtime``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from chiiki_shared.db import create_engine, create_session_factory
from chiiki_shared.settings import ServiceSettings

CLOSE_TIMEOUT_SECONDS = 5

REDIS_TIMEOUT_SECONDS = 2.0
# A pooled connection idle this long is PINGed before use, and a command that fails on a dead
# connection (Redis restarted) is retried on a new one: a restart costs no request an error.
REDIS_HEALTH_CHECK_SECONDS = 10
REDIS_RETRIES = 2


def redis_client(url: str) -> Redis:
    """The asyncio Redis client every service uses (caches, throttles, revocations)."""
    return Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_keepalive=True,
        health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
        retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), REDIS_RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        decode_responses=False,
    )


@dataclass
class Runtime:
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    extras: dict[str, object] = field(default_factory=dict)

    @classmethod
    def open(cls, settings: ServiceSettings) -> Runtime:
        engine = create_engine(
            settings.service_database_url,
            schema=settings.db_schema,
            pool_size=settings.db_pool_size,
            statement_timeout_ms=settings.db_statement_timeout_ms,
        )
        redis = redis_client(settings.redis_url)
        return cls(settings, engine, create_session_factory(engine), redis)

    async def close(self) -> None:
        # Bounded: a shutdown while Redis or PostgreSQL is unreachable must still end.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.redis.aclose(), timeout=CLOSE_TIMEOUT_SECONDS)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.engine.dispose(), timeout=CLOSE_TIMEOUT_SECONDS)

    def redis_key(self, *parts: str) -> str:
        """A Redis key under the platform's prefix and this service's name."""
        return ":".join((self.settings.redis_key_prefix + self.settings.service_name, *parts))
