"""The run state machine. Every transition is one conditional UPDATE, so two workers, a late
answer from stats or the recovery task can never move a run along an edge that is not here.

    queued ──start──> running ──(checks block)──────────────> blocked
       │ ──(cancel)──> cancelled <──(cancel asked; next page or batch, before applying)──┐
       │                 │ ──(same content hash)───────────> succeeded (outcome: unchanged)
       │                 │ ──(published; stats applied)────> succeeded (outcome: published)
       └──(lost)──┐      │ ──(error, stats rejected, attempts used up, no answer)──> failed
                  └────> failed ──(stats' answer arrives after the apply deadline)──> succeeded

While running, ``phase`` says where: fetching -> checking -> publishing -> applying. A failed run
is retried by creating a new run (``retry_of``); blocked and succeeded runs are final.
At most one run per dataset is queued or running: a partial unique index enforces it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_ingest.models import ACTIVE_STATUSES, Run, RunPhase, RunStatus

ACTIVE_INDEX = "uq_runs_one_active_per_dataset"
# Set when stats did not answer in time; a late `version_applied` may still end such a run well.
APPLY_TIMEOUT = "apply-timeout"
CANCELLED = "cancelled"


class ActiveRunExists(Exception):
    """A dataset already has a queued or running run."""

    def __init__(self, stats_data_id: str, run_id: uuid.UUID | None) -> None:
        super().__init__(f"{stats_data_id} already has an active run ({run_id})")
        self.stats_data_id = stats_data_id
        self.run_id = run_id


def merged(column: Any, values: dict[str, Any]) -> Any:
    """``column || values`` for a JSONB column: the keys given replace, the others stay."""
    return column.op("||")(sa.literal(values, JSONB))


async def create(
    session: AsyncSession,
    stats_data_id: str,
    *,
    trigger: str,
    filters: dict[str, Any] | None = None,
    retry_of: uuid.UUID | None = None,
    source_url: str | None = None,
    allow_shrink: bool = False,
    restores_version: int | None = None,
    dry_run: bool = False,
) -> Run:
    """A new queued run; ``ActiveRunExists`` when the dataset has one already."""
    run = Run(
        id=uuid.uuid4(),
        stats_data_id=stats_data_id,
        status=RunStatus.QUEUED.value,
        trigger=trigger,
        filters=filters or {},
        allow_shrink=allow_shrink,
        restores_version=restores_version,
        dry_run=dry_run,
        retry_of=retry_of,
        source_url=source_url,
        progress={},
        timings={},
    )
    try:
        async with session.begin_nested():
            session.add(run)
    except IntegrityError as error:
        if ACTIVE_INDEX not in str(error.orig):
            raise
        active = await active_run_id(session, stats_data_id)
        raise ActiveRunExists(stats_data_id, active) from None
    await session.refresh(run)
    return run


async def active_run_id(session: AsyncSession, stats_data_id: str) -> uuid.UUID | None:
    return await session.scalar(
        sa.select(Run.id).where(
            Run.stats_data_id == stats_data_id, Run.status.in_(_names(ACTIVE_STATUSES))
        )
    )


async def _transition(
    session: AsyncSession,
    run_id: uuid.UUID,
    from_statuses: Iterable[RunStatus],
    values: dict[str, Any],
    *conditions: Any,
) -> Run | None:
    statement = (
        sa.update(Run)
        .where(Run.id == run_id, Run.status.in_(_names(from_statuses)), *conditions)
        .values(**values)
        .returning(Run)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return await session.scalar(statement)


def _names(statuses: Iterable[RunStatus]) -> list[str]:
    return [status.value for status in statuses]


async def start(session: AsyncSession, run_id: uuid.UUID, worker: str) -> Run | None:
    """Claim a queued run, or resume a running one a lost worker left (never one in `applying`)."""
    return await _transition(
        session,
        run_id,
        ACTIVE_STATUSES,
        {
            "status": RunStatus.RUNNING.value,
            "phase": sa.func.coalesce(Run.phase, RunPhase.FETCHING.value),
            "attempt": Run.attempt + 1,
            "started_at": sa.func.coalesce(Run.started_at, sa.func.now()),
            "heartbeat_at": sa.func.now(),
            "worker": worker,
        },
        sa.func.coalesce(Run.phase, "") != RunPhase.APPLYING.value,
    )


async def advance(
    session: AsyncSession,
    run_id: uuid.UUID,
    phase: RunPhase,
    *conditions: Any,
    timings: dict[str, float] | None = None,
    **values: Any,
) -> Run | None:
    if timings:
        values["timings"] = merged(Run.timings, timings)
    return await _transition(
        session,
        run_id,
        [RunStatus.RUNNING],
        {"phase": phase.value, "heartbeat_at": sa.func.now(), **values},
        *conditions,
    )


NOT_CANCELLED = Run.cancel_requested_at.is_(None)


async def request_cancel(session: AsyncSession, run_id: uuid.UUID) -> Run | None:
    """A queued run is cancelled at once; a running one is marked, and its worker stops at the
    next page or batch. ``None`` when the run is final or already applying (stats has it all:
    the version will be served, so there is nothing left to stop)."""
    queued = Run.status == RunStatus.QUEUED.value
    now = sa.func.now()
    return await _transition(
        session,
        run_id,
        ACTIVE_STATUSES,
        {
            "cancel_requested_at": sa.func.coalesce(Run.cancel_requested_at, now),
            "status": sa.case((queued, RunStatus.CANCELLED.value), else_=Run.status),
            "phase": sa.case((queued, RunPhase.DONE.value), else_=Run.phase),
            "finished_at": sa.case((queued, now), else_=Run.finished_at),
            "error_code": sa.case((queued, CANCELLED), else_=Run.error_code),
            "error": sa.case((queued, "cancelled before it started"), else_=Run.error),
        },
        sa.func.coalesce(Run.phase, "") != RunPhase.APPLYING.value,
    )


async def cancel_requested(session: AsyncSession, run_id: uuid.UUID) -> bool:
    asked = await session.scalar(sa.select(Run.cancel_requested_at).where(Run.id == run_id))
    return asked is not None


async def record_progress(session: AsyncSession, run_id: uuid.UUID, **progress: Any) -> None:
    await session.execute(
        sa.update(Run)
        .where(Run.id == run_id, Run.status == RunStatus.RUNNING.value)
        .values(progress=merged(Run.progress, progress), heartbeat_at=sa.func.now())
    )


def heartbeat_statement(run_id: uuid.UUID) -> sa.Update:
    """Renew an active run's lease (``heartbeat``): the worker is alive and on it."""
    return (
        sa.update(Run)
        .where(Run.id == run_id, Run.status.in_(_names(ACTIVE_STATUSES)))
        .values(heartbeat_at=sa.func.now())
    )


async def finish(
    session: AsyncSession,
    run_id: uuid.UUID,
    status: RunStatus,
    *,
    timings: dict[str, float] | None = None,
    from_statuses: Iterable[RunStatus] = ACTIVE_STATUSES,
    **values: Any,
) -> Run | None:
    """End a run: succeeded, failed or blocked. ``None`` when it was not in ``from_statuses``."""
    if status in ACTIVE_STATUSES:
        raise ValueError(f"{status} is not a final status")
    final = {"timings": merged(Run.timings, timings)} if timings else {}
    return await _transition(
        session,
        run_id,
        from_statuses,
        {
            "status": status.value,
            "phase": RunPhase.DONE.value,
            "finished_at": sa.func.now(),
            **final,
            **values,
        },
    )


async def fail(
    session: AsyncSession,
    run_id: uuid.UUID,
    code: str,
    message: str,
    *,
    from_statuses: Iterable[RunStatus] = ACTIVE_STATUSES,
) -> Run | None:
    return await finish(
        session,
        run_id,
        RunStatus.FAILED,
        from_statuses=from_statuses,
        error_code=code,
        error=message[:4000],
    )


async def succeed_late(
    session: AsyncSession,
    run_id: uuid.UUID,
    *,
    timings: dict[str, float] | None = None,
    **values: Any,
) -> Run | None:
    """Stats answered after the apply deadline: the version is live, so the run did succeed."""
    if timings:
        values["timings"] = merged(Run.timings, timings)
    return await _transition(
        session,
        run_id,
        [RunStatus.FAILED],
        {"status": RunStatus.SUCCEEDED.value, "error_code": None, "error": None, **values},
        Run.error_code == APPLY_TIMEOUT,
    )
