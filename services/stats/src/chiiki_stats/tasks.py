"""Celery tasks of the stats service, named ``stats.<verb>_<noun>`` (docs/bus-contract.md).

Each task runs its async logic (``consumer.py``) in one transaction on an event loop owned by the
worker thread, and sends the replies only after that transaction committed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from celery import shared_task

from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime
from chiiki_stats import consumer
from chiiki_stats.config import StatsSettings
from chiiki_stats.contract import APPLY_BATCH, PUBLISH_VERSION, VERSION_REJECTED, rejection

logger = structlog.get_logger(__name__)
T = TypeVar("T")
# Unexpected failures (the database restarting...) are retried this many times, then rejected.
ERROR_RETRIES = 3

_local = threading.local()


def _runtime() -> tuple[asyncio.AbstractEventLoop, Runtime]:
    """This thread's event loop and runtime: asyncpg connections cannot cross event loops, and a
    prefork child creates its own after the fork."""
    if getattr(_local, "runtime", None) is None:
        _local.loop = asyncio.new_event_loop()
        _local.runtime = Runtime.open(StatsSettings())
    return _local.loop, _local.runtime


def run_in_transaction(work: Callable[[Any], Awaitable[T]]) -> T:
    loop, runtime = _runtime()

    async def transaction() -> T:
        async with session_scope(runtime.sessions) as session:
            return await work(session)

    return loop.run_until_complete(transaction())


def send(messages: list[consumer.Message]) -> None:
    from chiiki_stats.worker import celery_app

    for name, payload in messages:
        celery_app.send_task(name, args=[payload])


@shared_task(name="stats.ping")
def ping() -> str:
    """Answers when a stats worker consumes its queue; used by health checks and tests."""
    logger.info("ping")
    return "pong"


@shared_task(name=APPLY_BATCH)
def apply_batch(payload: dict[str, Any]) -> str:
    """Stage one batch of a run; a redelivered batch replaces itself."""
    settings = StatsSettings()
    status = run_in_transaction(
        lambda session: consumer.stage_batch(session, payload, ttl_hours=settings.staging_ttl_hours)
    )
    logger.info(
        "batch_received",
        status=status,
        run_id=payload.get("run_id"),
        batch_index=payload.get("batch_index"),
    )
    return status


@shared_task(name=PUBLISH_VERSION, bind=True, max_retries=None)
def publish_version(self: Any, payload: dict[str, Any]) -> str:
    """Apply the run's batches as the dataset's next version, then tell ingest and analytics."""
    settings = StatsSettings()
    retries = self.request.retries or 0
    try:
        outcome = run_in_transaction(
            lambda session: consumer.publish_version(
                session,
                payload,
                final_attempt=retries >= settings.publish_max_retries,
                statement_timeout_ms=settings.apply_statement_timeout_ms,
            )
        )
    except Exception as exc:  # the transaction rolled back: the current version is untouched
        if retries < ERROR_RETRIES:
            logger.warning("publish_failed_retrying", error=type(exc).__name__, retries=retries)
            raise self.retry(exc=exc, countdown=settings.publish_retry_seconds) from exc
        logger.exception("publish_failed", run_id=payload.get("run_id"))
        reason = f"stats could not apply the version: {type(exc).__name__}"
        send([(VERSION_REJECTED, rejection(payload, reason))])
        return "rejected"
    if outcome.status == "pending":
        countdown = min(
            settings.publish_retry_seconds * 2**retries, settings.publish_retry_max_seconds
        )
        logger.info("version_waiting_for_batches", run_id=payload.get("run_id"), retry_in=countdown)
        raise self.retry(countdown=countdown)
    send(outcome.messages)
    return outcome.status
