"""The long-lived resources of one service process: settings, database engine, Redis client.

Created in the app's lifespan (or a worker's event loop) and closed with it; asyncpg connections
cannot cross event loops, so each loop builds its own ``Runtime``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from chiiki_shared.db import create_engine, create_session_factory
from chiiki_shared.settings import ServiceSettings

REDIS_TIMEOUT_SECONDS = 2.0


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
        redis = Redis.from_url(
            settings.redis_url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            decode_responses=False,
        )
        return cls(settings, engine, create_session_factory(engine), redis)

    async def close(self) -> None:
        await self.redis.aclose()
        await self.engine.dispose()

    def redis_key(self, *parts: str) -> str:
        """A Redis key under the platform's prefix and this service's name."""
        return ":".join((self.settings.redis_key_prefix + self.settings.service_name, *parts))
