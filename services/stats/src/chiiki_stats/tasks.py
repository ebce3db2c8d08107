"""Celery tasks of the stats service, named ``stats.<verb>_<noun>`` (docs/bus-contract.md).

Each task runs its async logic (``consumer.py``) in one transaction on the worker process's event
loop (``chiiki_shared.task_runtime``), and its replies leave only after that transaction committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog
from celery import Celery, Task, shared_task

from chiiki_shared.bus import Outbox, send
from chiiki_shared.contracts import ApplyBatch, PublishVersion
from chiiki_shared.task_runtime import TaskRuntime
from chiiki_stats import consumer
from chiiki_stats.config import StatsSettings

logger = structlog.get_logger(__name__)
# Unexpected failures (the database restarting...) are retried this many times, then rejected.
ERROR_RETRIES = 3


def _app() -> Celery:
    from chiiki_stats.worker import celery_app

    return celery_app


RUNTIME = TaskRuntime(StatsSettings, _app)


@shared_task(name="stats.ping")
def ping() -> str:
    """Answers when a stats worker consumes its queue; used by health checks and tests."""
    logger.info("ping")
    return "pong"


@shared_task(name=ApplyBatch.TASK)
def apply_batch(payload: dict[str, Any]) -> str:
    """Stage one batch of a run; a redelivered batch replaces itself."""
    ttl_hours = StatsSettings().staging_ttl_hours
    status = RUNTIME.transaction(
        lambda session, _: consumer.stage_batch(session, payload, ttl_hours=ttl_hours)
    )
    logger.info(
        "batch_received",
        status=status,
        run_id=payload.get("run_id"),
        batch_index=payload.get("batch_index"),
    )
    return status


@dataclass(frozen=True)
class Attempts:
    """How often ``publish_version`` already ran for one message, counted apart: waiting for
    batches still on their way is not an error, and must not use up the error retries."""

    waits: int = 0
    errors: int = 0

    def wait_countdown(self, settings: StatsSettings) -> float:
        """2, 4, 8... seconds (at most ``publish_retry_max_seconds``)."""
        grown = settings.publish_retry_seconds * 2.0**self.waits
        return min(grown, settings.publish_retry_max_seconds)

    def last_wait(self, settings: StatsSettings) -> bool:
        """Missing batches now reject the version instead of waiting again."""
        return self.waits >= settings.publish_max_retries

    def may_retry_error(self) -> bool:
        return self.errors < ERROR_RETRIES


@shared_task(name=PublishVersion.TASK, bind=True, max_retries=None)
def publish_version(
    self: Task[Any, Any], payload: dict[str, Any], waits: int = 0, errors: int = 0
) -> str:
    """Apply the run's batches as the dataset's next version, then tell ingest and analytics.

    ``waits`` and ``errors`` are not part of the contract: they travel only in the retries this
    task sends itself."""
    settings = StatsSettings()
    attempts = Attempts(waits, errors)

    async def work(session: Any, outbox: Outbox) -> consumer.PublishOutcome:
        outcome = await consumer.publish_version(
            session,
            payload,
            final_attempt=attempts.last_wait(settings),
            statement_timeout_ms=settings.apply_statement_timeout_ms,
        )
        for message in outcome.messages:
            outbox.add(message)
        return outcome

    try:
        outcome = RUNTIME.transaction(work)
    except Exception as exc:  # the transaction rolled back: the current version is untouched
        if attempts.may_retry_error():
            logger.warning("publish_failed_retrying", error=type(exc).__name__, errors=errors)
            retry = {"waits": waits, "errors": errors + 1}
            raise self.retry(
                exc=exc, countdown=settings.publish_retry_seconds, kwargs=retry
            ) from exc
        logger.exception("publish_failed", run_id=payload.get("run_id"))
        reason = f"stats could not apply the version: {type(exc).__name__}"
        for message in consumer.rejections(payload, reason):
            send(_app(), message)
        return "rejected"
    if outcome.status == "pending":
        countdown = attempts.wait_countdown(settings)
        logger.info("version_waiting_for_batches", run_id=payload.get("run_id"), retry_in=countdown)
        raise self.retry(countdown=countdown, kwargs={"waits": waits + 1, "errors": errors})
    return outcome.status
