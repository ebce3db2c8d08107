"""Celery tasks of the auth service, named ``auth.<verb>_<noun>``.

Each task runs its async work on the worker process's event loop and runtime
(``chiiki_shared.task_runtime``), in one transaction.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import Celery, shared_task

from chiiki_auth.config import AuthSettings
from chiiki_auth.service import purge_ended_sessions
from chiiki_shared.task_runtime import TaskRuntime

logger = structlog.get_logger(__name__)


def _app() -> Celery:
    from chiiki_auth.worker import celery_app

    return celery_app


RUNTIME = TaskRuntime(AuthSettings, _app)


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
    deleted = RUNTIME.transaction(lambda session, _: purge_ended_sessions(session, settings))
    logger.info("auth.sessions_purged", retention_days=settings.session_retention_days, **deleted)
    return deleted
