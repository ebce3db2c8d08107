"""The Redis denylist rebuilt from the database, where every revocation is recorded first.

Redis may come back from a restart empty. Every revocation still in force (a session revoked, or
a user's "not before", within the longest access-token lifetime) is also a row in the auth schema,
so the list is written again from there, then marked complete with
``<prefix>auth:revocations-loaded`` (see ``chiiki_shared.security``). Until the marker is back,
verifiers refuse tokens with 503; the auth service rebuilds at once when it checks a token itself
and otherwise within ``AUTH_REVOCATION_WATCH_SECONDS``.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime, timedelta

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chiiki_auth.repository import SessionRepository, UserRepository
from chiiki_shared.db import session_scope
from chiiki_shared.errors import DependencyUnavailable, dependency_of
from chiiki_shared.security import not_before_key, revocations_loaded_key, revoked_session_key

logger = structlog.get_logger(__name__)
security_log = structlog.get_logger("chiiki.security")

REBUILD_ATTEMPTS = 3


class DenylistRebuilder:
    def __init__(
        self,
        redis: Redis,
        sessions: async_sessionmaker[AsyncSession],
        *,
        prefix: str,
        ttl_seconds: int,
    ) -> None:
        self.redis = redis
        self.sessions = sessions
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self._lock = asyncio.Lock()

    async def ensure_loaded(self) -> None:
        """Rebuild the list unless its marker is there (one rebuild at a time per process)."""
        async with self._lock:
            if not await self.redis.exists(revocations_loaded_key(self.prefix)):
                await self.rebuild()

    async def rebuild(self) -> None:
        """Write every revocation still in force, then the marker.

        Redis restarting again mid-way would lose what was written before the marker: its
        ``run_id`` is compared before and after, and a changed one means start over.
        """
        for _ in range(REBUILD_ATTEMPTS):
            run_id = await self._run_id()
            sessions, users = await self._in_force()
            async with self.redis.pipeline(transaction=True) as pipe:
                for key, value, ttl in self._entries(sessions, users):
                    pipe.set(key, value, ex=ttl)
                pipe.set(revocations_loaded_key(self.prefix), b"1")
                await pipe.execute()
            if await self._run_id() == run_id:
                security_log.info(
                    "revocations_rebuilt",
                    category="security",
                    sessions=len(sessions),
                    users=len(users),
                )
                return
            await self.redis.delete(revocations_loaded_key(self.prefix))
        raise DependencyUnavailable("redis", "Redis keeps restarting; revocations cannot be loaded")

    async def _run_id(self) -> str:
        return str((await self.redis.info("server"))["run_id"])

    async def _in_force(self) -> tuple[list[tuple[str, datetime]], list[tuple[str, datetime]]]:
        cutoff = datetime.now(UTC) - timedelta(seconds=self.ttl_seconds)
        async with session_scope(self.sessions) as session:
            sessions = await SessionRepository(session).revoked_since(cutoff)
            users = await UserRepository(session).tokens_not_before_since(cutoff)
        return [(str(i), at) for i, at in sessions], [(str(i), at) for i, at in users]

    def _entries(
        self, sessions: list[tuple[str, datetime]], users: list[tuple[str, datetime]]
    ) -> list[tuple[str, bytes, int]]:
        """(key, value, seconds left) for each revocation, as the auth service first wrote it."""
        now = datetime.now(UTC)

        def left(at: datetime) -> int:
            return max(1, math.ceil(self.ttl_seconds - (now - at).total_seconds()))

        entries = [(revoked_session_key(self.prefix, sid), b"1", left(at)) for sid, at in sessions]
        entries += [
            (not_before_key(self.prefix, uid), str(int(at.timestamp())).encode(), left(at))
            for uid, at in users
        ]
        return entries

    async def watch(self, interval: float) -> None:
        """Check the marker every ``interval`` seconds and rebuild when it is gone; for ever."""
        while True:
            try:
                await self.ensure_loaded()
            except Exception as exc:
                if dependency_of(exc) is None:
                    logger.exception("revocations_rebuild_failed")
                else:
                    logger.warning("revocations_not_loaded", error=type(exc).__name__)
            await asyncio.sleep(interval)
