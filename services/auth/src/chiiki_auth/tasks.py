"""Celery tasks of the auth service, named ``auth.<verb>_<noun>``.

asyncpg connections cannot cross event loops, so a task that needs the database runs its work in
a fresh loop with a fresh ``Runtime`` (engine and Redis client), closed before the task returns.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from celery import shared_task

from chiiki_auth.config import AuthSettings
from chiiki_auth.service import purge_ended_sessions
from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime

logger = structlog.get_logger(__name__)


@shared_task(name="auth.ping")
def ping() -> str:
    """Answers when a auth worker consumes its queue; used by health checks and tests."""
    logger.info("ping")
    return "pong"


@shared_task(name="auth.purge_sessions")
def purge_sessions(payload: dict[str, Any] | None = None) -> dict[str, int]:
    """Delete sessions (and their refresh tokens) that ended longer ago than the retention.
    Idempotent: a second run finds nothing more to delete. Sent hourly by the beat, by name."""
    settings = AuthSettings()

    async def work() -> dict[str, int]:
        runtime = Runtime.open(settings)
        try:
            async with session_scope(runtime.sessions) as session:
                return await purge_ended_sessions(session, settings)
        finally:
            await runtime.close()

    deleted = asyncio.run(work())
    logger.info("auth.sessions_purged", retention_days=settings.session_retention_days, **deleted)
    return deleted
