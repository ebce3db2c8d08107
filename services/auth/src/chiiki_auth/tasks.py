"""Celery tasks of the auth service, named ``auth.<verb>_<noun>``."""

from __future__ import annotations

import structlog
from celery import shared_task

logger = structlog.get_logger(__name__)


@shared_task(name="auth.ping")
def ping() -> str:
    """Answers when a auth worker consumes its queue; used by health checks and tests."""
    logger.info("ping")
    return "pong"
