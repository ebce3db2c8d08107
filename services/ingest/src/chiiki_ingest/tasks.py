"""Celery tasks of the ingest service, named ``ingest.<verb>_<noun>``, each taking one JSON object.

Every task runs its async work on the worker process's event loop and runtime
(``chiiki_shared.task_runtime``); messages leave only after the transaction that makes them true
committed (``chiiki_shared.bus.Outbox``). A payload the contract does not allow is logged and
dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import structlog
from celery import Celery, Task, shared_task
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_ingest import alerts, catalog, repository, runs, service, ticks
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.locks import is_locked
from chiiki_ingest.messaging import CeleryBus, RunIngestion
from chiiki_ingest.models import Run, RunStatus, VersionStatus
from chiiki_ingest.pipeline import Pipeline
from chiiki_shared.bus import Outbox
from chiiki_shared.contracts import VersionApplied, VersionRejected
from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime
from chiiki_shared.task_runtime import TaskRuntime

logger = structlog.get_logger(__name__)


@cache
def get_settings() -> IngestSettings:
    return IngestSettings()


def _app() -> Celery:
    from chiiki_ingest.worker import celery_app

    return celery_app


RUNTIME = TaskRuntime(get_settings, _app)


@shared_task(name="ingest.ping")
def ping() -> str:
    """Answers when an ingest worker consumes its queue; used by health checks and tests."""
    logger.info("ping")
    return "pong"


class RunNotPublished(Exception):
    """The run this task executed ended failed or blocked: the task's state is FAILURE, not
    SUCCESS. The run is recorded (and alerted) already; the message is acknowledged, not retried."""

    def __init__(self, run_id: str, outcome: str) -> None:
        super().__init__(f"run {run_id} {outcome}; see /api/ingest/runs/{run_id}")
        self.run_id = run_id
        self.outcome = outcome


NOT_PUBLISHED = frozenset({"failed", "blocked"})


# `throws`: an expected failure, logged by Celery in one line without a traceback.
@shared_task(name="ingest.run_ingestion", bind=True, throws=(RunNotPublished,))
def run_ingestion(self: Task[Any, Any], payload: dict[str, Any]) -> str:
    """Execute or resume one run (``{"run_id": ...}``); safe to deliver twice. Raises
    ``RunNotPublished`` when the run ends failed or blocked."""
    message = RunIngestion.receive(payload)
    if message is None:
        return "invalid"
    bus = CeleryBus(self.app)
    outcome = RUNTIME.run(
        lambda runtime: Pipeline(runtime, get_settings(), bus).run(message.run_id)
    )
    if outcome in NOT_PUBLISHED:
        raise RunNotPublished(str(message.run_id), outcome)
    return outcome


@shared_task(name="ingest.schedule_catalog", bind=True)
def schedule_catalog(
    self: Task[Any, Any], payload: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """Enqueue every enabled catalog entry on ``schedule`` (default ``daily``) and record the tick
    of each: the run it queued, or the active run it found (``ticks``). A second delivery of the
    same tick queues nothing."""
    schedule = (payload or {}).get("schedule", catalog.DAILY)
    settings = get_settings()
    expression = ticks.cron_of(settings, schedule)
    due_at = None if expression is None else ticks.last_due(expression, datetime.now(UTC))

    async def work(runtime: Runtime) -> dict[str, list[str]]:
        async with session_scope(runtime.sessions) as session:
            await catalog.sync(session, catalog.load(settings.catalog_path))
            entries = await repository.entries_on_schedule(session, schedule)
        ids = [e.stats_data_id for e in entries]
        if due_at is None:
            return await _enqueue(runtime, self.app, ids, "schedule")
        return await _tick(runtime, self.app, ids, schedule, due_at)

    result = RUNTIME.run(work)
    logger.info(
        "ingest.catalog_scheduled",
        schedule=schedule,
        due_at=due_at.isoformat() if due_at else None,
        **result,
    )
    return result


@shared_task(name="ingest.schedule_due", bind=True)
def schedule_due(
    self: Task[Any, Any], payload: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """Beat sends this every minute: tick every enabled entry whose cron named a time within
    ``INGEST_SCHEDULE_MISSED_AFTER_SECONDS`` that has no tick yet. It reads the live catalog each
    time, so a schedule added or changed through the API applies without restarting beat, and a
    tick beat missed for a few minutes still runs (late) when beat is back."""
    settings = get_settings()
    now = datetime.now(UTC)

    async def work(runtime: Runtime) -> dict[str, list[str]]:
        async with session_scope(runtime.sessions) as session:
            await catalog.sync(session, catalog.load(settings.catalog_path))
            entries = await ticks.scheduled_entries(session)
        result: dict[str, list[str]] = {"queued": [], "skipped_active": [], "already_ticked": []}
        for (schedule, due_at), ids in ticks.due_now(settings, entries, now).items():
            for key, values in (await _tick(runtime, self.app, ids, schedule, due_at)).items():
                result[key].extend(values)
        return result

    result = RUNTIME.run(work)
    if result["queued"] or result["skipped_active"]:
        logger.info("ingest.catalog_scheduled", **result)
    return result


async def _tick(
    runtime: Runtime, app: Celery, stats_data_ids: list[str], schedule: str, due_at: datetime
) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {"queued": [], "skipped_active": [], "already_ticked": []}
    outbox = Outbox()
    for stats_data_id in stats_data_ids:
        async with session_scope(runtime.sessions) as session:
            if await ticks.ticked(session, stats_data_id, due_at):
                result["already_ticked"].append(stats_data_id)
                continue
            try:
                run = await service.enqueue_run(
                    session, outbox, get_settings(), stats_data_id, trigger="schedule"
                )
            except runs.ActiveRunExists as busy:
                await _adopt(session, busy, due_at, schedule)
                result["skipped_active"].append(stats_data_id)
                continue
            await ticks.record_tick(
                session, stats_data_id, due_at, schedule, run_id=run.id, trigger=run.trigger
            )
        result["queued"].append(str(run.id))
    await outbox.flush_async(app)
    return result


async def _adopt(
    session: AsyncSession, busy: runs.ActiveRunExists, due_at: datetime, schedule: str
) -> None:
    """The table had an active run at the tick: that run's outcome is the tick's."""
    active = None if busy.run_id is None else await repository.get_run(session, busy.run_id)
    await ticks.record_tick(
        session,
        busy.stats_data_id,
        due_at,
        schedule,
        run_id=busy.run_id,
        trigger=active.trigger if active is not None else ticks.NO_TRIGGER,
    )


@shared_task(name="ingest.bootstrap_catalog", bind=True)
def bootstrap_catalog(
    self: Task[Any, Any], payload: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """Enqueue every enabled catalog entry that has no version in stats yet (``make up``)."""

    async def work(runtime: Runtime) -> dict[str, list[str]]:
        async with session_scope(runtime.sessions) as session:
            await catalog.sync(session, catalog.load(get_settings().catalog_path))
            entries = await repository.entries_without_version(session)
        return await _enqueue(runtime, self.app, [e.stats_data_id for e in entries], "bootstrap")

    result = RUNTIME.run(work)
    logger.info("ingest.catalog_bootstrapped", **result)
    return result


async def _enqueue(
    runtime: Runtime, app: Celery, stats_data_ids: list[str], trigger: str
) -> dict[str, list[str]]:
    queued, skipped = [], []
    outbox = Outbox()
    for stats_data_id in stats_data_ids:
        try:
            async with session_scope(runtime.sessions) as session:
                run = await service.enqueue_run(
                    session, outbox, get_settings(), stats_data_id, trigger=trigger
                )
        except runs.ActiveRunExists:
            skipped.append(stats_data_id)
            continue
        queued.append(str(run.id))
    await outbox.flush_async(app)
    return {"queued": queued, "skipped_active": skipped}


@shared_task(name="ingest.version_applied")
def version_applied(payload: dict[str, Any]) -> str:
    """Stats made the run's version current: the run succeeded (idempotent)."""
    answer = VersionApplied.receive(payload)
    if answer is None:
        return "invalid"

    async def work(runtime: Runtime) -> str:
        settings = get_settings()
        async with session_scope(runtime.sessions) as session:
            run = await repository.get_run(session, answer.run_id)
            if run is None:
                logger.warning("ingest.answer_for_unknown_run", run_id=str(answer.run_id))
                return "unknown-run"
            await repository.answer_version(
                session,
                run.id,
                VersionStatus.APPLIED,
                version=answer.version,
                answered_at=answer.applied_at,
            )
            values = _applied_values(run, answer)
            if run.cell_count is not None and answer.cell_count != run.cell_count:
                message = (
                    f"stats applied {answer.cell_count} cells as version {answer.version}, "
                    f"but {run.cell_count} were published"
                )
                done = await runs.fail(session, run.id, "cell-count-mismatch", message)
                outcome = "mismatch"
            else:
                done = await runs.finish(
                    session, run.id, RunStatus.SUCCEEDED, outcome="published", **values
                )
                if done is None:
                    done = await runs.succeed_late(session, run.id, outcome="published", **values)
                outcome = "succeeded" if done is not None else f"already-{run.status}"
            await repository.prune_pages(
                session,
                run.stats_data_id,
                settings.raw_pages_keep_runs,
                keep_versions=settings.retention_versions,
            )
        if outcome == "mismatch" and done is not None:
            await alerts.alert_run_failed(settings, done)
        logger.info("ingest.version_applied", run_id=str(answer.run_id), outcome=outcome)
        return outcome

    return RUNTIME.run(work)


def _applied_values(run: Run, answer: VersionApplied) -> dict[str, Any]:
    now = datetime.now(UTC)
    timings: dict[str, float] = {}
    if run.published_at is not None:
        timings["apply_seconds"] = max(0.0, (now - run.published_at).total_seconds())
    if run.started_at is not None:
        timings["total_seconds"] = max(0.0, (now - run.started_at).total_seconds())
    return {"version": answer.version, "timings": timings}


@shared_task(name="ingest.version_rejected")
def version_rejected(payload: dict[str, Any]) -> str:
    """Stats refused the version: the run failed and the dataset keeps its current version."""
    answer = VersionRejected.receive(payload)
    if answer is None:
        return "invalid"

    async def work(runtime: Runtime) -> str:
        settings = get_settings()
        async with session_scope(runtime.sessions) as session:
            await repository.answer_version(
                session, answer.run_id, VersionStatus.REJECTED, reason=answer.reason
            )
            failed = await runs.fail(
                session, answer.run_id, "rejected-by-stats", f"stats rejected: {answer.reason}"
            )
            if failed is not None:
                await repository.prune_pages(
                    session,
                    failed.stats_data_id,
                    settings.raw_pages_keep_runs,
                    keep_versions=settings.retention_versions,
                )
        if failed is None:
            return "not-active"
        await alerts.alert_run_failed(settings, failed)
        return "failed"

    return RUNTIME.run(work)


@shared_task(name="ingest.recover_runs", bind=True)
def recover_runs(
    self: Task[Any, Any], payload: dict[str, Any] | None = None
) -> dict[str, list[str]]:
    """Resume runs whose worker was lost, re-send runs nobody picked up, and fail runs stats never
    answered. Runs from beat every ``INGEST_RECOVERY_INTERVAL_SECONDS``."""

    async def work(runtime: Runtime) -> dict[str, list[str]]:
        settings = get_settings()
        now = datetime.now(UTC)
        outbox, failed = Outbox(), []
        result: dict[str, list[str]] = {"resent": [], "failed": []}
        async with session_scope(runtime.sessions) as session:
            candidates = await repository.runs_to_recover(
                session,
                lease_seconds=settings.stale_run_seconds,
                queued_seconds=settings.queued_timeout_seconds,
            )
            for run in candidates:
                if await is_locked(runtime.engine, run.stats_data_id):
                    continue  # a live worker holds it; it is slow, not lost
                if run.status == RunStatus.RUNNING and run.attempt >= settings.max_attempts:
                    message = f"the worker was lost {run.attempt} times"
                    done = await runs.fail(session, run.id, "attempts-exhausted", message)
                    if done is not None:
                        failed.append(done)
                    continue
                await repository.mark_resent(session, run.id)
                outbox.add(RunIngestion(run_id=run.id))
                result["resent"].append(str(run.id))
            deadline = now - timedelta(seconds=settings.apply_timeout_seconds)
            for run in await repository.runs_past_apply_deadline(session, deadline):
                message = (
                    f"stats did not confirm the version within {settings.apply_timeout_seconds:g}s"
                    " of publishing"
                )
                done = await runs.fail(session, run.id, runs.APPLY_TIMEOUT, message)
                if done is not None:
                    failed.append(done)
        await outbox.flush_async(self.app)
        for run in failed:
            result["failed"].append(str(run.id))
            await alerts.alert_run_failed(settings, run)
        return result

    result = RUNTIME.run(work)
    if result["resent"] or result["failed"]:
        logger.warning("ingest.runs_recovered", **result)
    return result
