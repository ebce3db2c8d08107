"""Celery tasks of the analytics service, named ``analytics.<verb>_<noun>``."""

from __future__ import annotations

import structlog
from celery import shared_task

logger = structlog.get_logger(__name__)


@shared_task(name="analytics.ping")
def ping() -> str:
    """Answers when a analytics worker consumes its queue; used by health checks and tests."""
    logger.info("ping")
    return "pong"
