"""Schedule ticks: one outcome per catalog table and due tick, for an honest daily success rate.

An enabled entry whose schedule is not ``manual`` is *due* at every time its cron names (Asia/Tokyo)
after its ``scheduled_since``. Each due tick gets one ``schedule_ticks`` row: written by
``ingest.schedule_catalog`` with the run it queued (or the active run it found), or by the
watchdog (``watchdog.py``) when no tick ran within ``INGEST_SCHEDULE_MISSED_AFTER_SECONDS``. The
tick's outcome is its run's, so a manual retry later that day does not change it: the ratio
measures the schedule, not the operators' rescues.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from cronsim import CronSim
from sqlalchemy.dialects.postgresql import distinct_on, insert
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_ingest.catalog import DAILY, MANUAL
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.models import CatalogEntry, Run, RunStatus, ScheduleTick

TOKYO = ZoneInfo("Asia/Tokyo")
WINDOW_DAYS = 30
# A cron firing every minute would otherwise have 43,200 ticks to look at in the window.
MAX_TICKS_PER_ENTRY = 1_000
NO_TRIGGER = "none"


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    BLOCKED = "blocked"
    MISSED = "missed"
    # The tick's run has not ended yet; not counted in any ratio until it has.
    PENDING = "pending"


SUCCESSFUL = (Outcome.SUCCEEDED, Outcome.UNCHANGED)
FINAL = tuple(outcome for outcome in Outcome if outcome is not Outcome.PENDING)


def cron_of(settings: IngestSettings, schedule: str) -> str | None:
    """The cron expression of a catalog schedule; ``None`` for ``manual``."""
    return None if schedule == MANUAL else scheduled_cron(settings, schedule)


def scheduled_cron(settings: IngestSettings, schedule: str) -> str:
    """The cron expression of a schedule that is not ``manual``."""
    return settings.schedule_daily if schedule == DAILY else schedule


def last_due(expression: str, now: datetime) -> datetime:
    """The latest time at or before ``now`` that the cron names."""
    start = now.astimezone(TOKYO).replace(microsecond=0) + timedelta(seconds=1)
    return next(iter(CronSim(expression, start, reverse=True)))


def next_due(expression: str, now: datetime) -> datetime:
    """The first time after ``now`` that the cron names."""
    return next(iter(CronSim(expression, now.astimezone(TOKYO).replace(microsecond=0))))


def due_between(expression: str, after: datetime, until: datetime) -> Iterator[datetime]:
    """The times the cron names in ``(after, until]``, oldest first, at most a bounded number."""
    for count, due in enumerate(CronSim(expression, after.astimezone(TOKYO))):
        if due > until or count >= MAX_TICKS_PER_ENTRY:
            return
        yield due


def due_now(
    settings: IngestSettings, entries: list[CatalogEntry], now: datetime
) -> dict[tuple[str, datetime], list[str]]:
    """``(schedule, due time) -> entries`` whose cron named a time within the grace before ``now``
    (and since they are on that schedule): what the minute's sweep ticks, once each."""
    earliest = now - timedelta(seconds=settings.schedule_missed_after_seconds)
    due: dict[tuple[str, datetime], list[str]] = {}
    for entry in entries:
        expression = cron_of(settings, entry.schedule)
        if expression is None:
            continue
        at = last_due(expression, now)
        if at > earliest and at >= entry.scheduled_since:
            due.setdefault((entry.schedule, at), []).append(entry.stats_data_id)
    return due


async def ticked(session: AsyncSession, stats_data_id: str, due_at: datetime) -> bool:
    """Whether a tick already ran for this table and due time (a second delivery queues nothing)."""
    found = await session.scalar(
        sa.select(ScheduleTick.ticked_at).where(
            ScheduleTick.stats_data_id == stats_data_id, ScheduleTick.due_at == due_at
        )
    )
    return found is not None


async def record_tick(
    session: AsyncSession,
    stats_data_id: str,
    due_at: datetime,
    schedule: str,
    *,
    run_id: uuid.UUID | None,
    trigger: str,
) -> None:
    """The tick ran: its run decides its outcome. A tick late after a miss fills the row in."""
    values = {"run_id": run_id, "trigger": trigger, "ticked_at": sa.func.now()}
    statement = insert(ScheduleTick).values(
        stats_data_id=stats_data_id, due_at=due_at, schedule=schedule, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ScheduleTick.stats_data_id, ScheduleTick.due_at],
            set_=values,
            where=ScheduleTick.ticked_at.is_(None),
        )
    )


@dataclass(frozen=True)
class Missed:
    stats_data_id: str
    schedule: str
    due_at: datetime


async def record_missed(
    session: AsyncSession, settings: IngestSettings, now: datetime
) -> list[Missed]:
    """Write a missed row for every due tick older than the grace that has no row; return those
    this call wrote (another API process writing them at the same time gets none)."""
    until = now - timedelta(seconds=settings.schedule_missed_after_seconds)
    window_start = now - timedelta(days=WINDOW_DAYS)
    rows = await session.execute(
        sa.select(ScheduleTick.stats_data_id, ScheduleTick.due_at).where(
            ScheduleTick.due_at > window_start
        )
    )
    known = {(stats_data_id, due_at) for stats_data_id, due_at in rows}
    candidates: list[dict[str, Any]] = []
    for entry in await scheduled_entries(session):
        expression = cron_of(settings, entry.schedule)
        if expression is None:
            continue
        after = max(entry.scheduled_since, window_start)
        for due in due_between(expression, after, until):
            if (entry.stats_data_id, due) not in known:
                candidates.append(
                    {
                        "stats_data_id": entry.stats_data_id,
                        "due_at": due,
                        "schedule": entry.schedule,
                        "missed_at": now,
                    }
                )
    if not candidates:
        return []
    written = await session.execute(
        insert(ScheduleTick)
        .values(candidates)
        .on_conflict_do_nothing()
        .returning(ScheduleTick.stats_data_id, ScheduleTick.schedule, ScheduleTick.due_at)
    )
    return [Missed(*row) for row in written]


async def scheduled_entries(
    session: AsyncSession, *, after: str | None = None, limit: int | None = None
) -> list[CatalogEntry]:
    """Enabled entries on a schedule (not ``manual``), by id; ``after`` an id, at most ``limit``."""
    query = (
        sa.select(CatalogEntry)
        .where(CatalogEntry.enabled.is_(True), CatalogEntry.schedule != MANUAL)
        .order_by(CatalogEntry.stats_data_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(CatalogEntry.stats_data_id > after)
    return list(await session.scalars(query))


def outcome_column() -> sa.Case[Any]:
    """A tick's outcome from its row and its run (joined as ``Run``)."""
    return sa.case(
        (ScheduleTick.ticked_at.is_(None), Outcome.MISSED.value),
        (Run.status.in_([RunStatus.QUEUED.value, RunStatus.RUNNING.value]), Outcome.PENDING.value),
        (
            sa.and_(Run.status == RunStatus.SUCCEEDED.value, Run.outcome == "unchanged"),
            Outcome.UNCHANGED.value,
        ),
        # `checked`: an active dry run held the table at the tick; nothing was updated.
        (
            sa.and_(
                Run.status == RunStatus.SUCCEEDED.value, Run.outcome.is_distinct_from("checked")
            ),
            Outcome.SUCCEEDED.value,
        ),
        (Run.status == RunStatus.BLOCKED.value, Outcome.BLOCKED.value),
        # failed, cancelled, a dry run's `checked`, or a run that no longer exists
        else_=Outcome.FAILED.value,
    )


def with_runs() -> sa.Select[Any]:
    return sa.select().select_from(ScheduleTick).outerjoin(Run, Run.id == ScheduleTick.run_id)


def tokyo_day(column: Any) -> Any:
    return sa.func.to_char(sa.func.timezone("Asia/Tokyo", column), "YYYY-MM-DD")


async def outcome_counts(session: AsyncSession, since: datetime) -> dict[tuple[str, str, str], int]:
    """``(day, outcome, trigger) -> ticks`` for the ticks due since ``since`` (Asia/Tokyo days)."""
    # Grouped by the output names: the expressions carry bound (and expanded IN) parameters.
    names = ("tick_day", "tick_outcome", "tick_trigger")
    rows = await session.execute(
        with_runs()
        .add_columns(
            tokyo_day(ScheduleTick.due_at).label(names[0]),
            outcome_column().label(names[1]),
            sa.func.coalesce(ScheduleTick.trigger, NO_TRIGGER).label(names[2]),
            sa.func.count(),
        )
        .where(ScheduleTick.due_at >= since)
        .group_by(*(sa.literal_column(name) for name in names))
    )
    return {(d, o, t): int(n) for d, o, t, n in rows}


@dataclass(frozen=True)
class LastTick:
    stats_data_id: str
    schedule: str
    due_at: datetime
    outcome: str
    trigger: str
    run_id: uuid.UUID | None


async def last_ticks(
    session: AsyncSession, stats_data_ids: list[str] | None = None
) -> dict[str, LastTick]:
    """Each table's latest due tick with its outcome (of ``stats_data_ids``, or of all)."""
    query = (
        with_runs()
        .add_columns(
            ScheduleTick.stats_data_id,
            ScheduleTick.schedule,
            ScheduleTick.due_at,
            outcome_column(),
            sa.func.coalesce(ScheduleTick.trigger, NO_TRIGGER),
            ScheduleTick.run_id,
        )
        .ext(distinct_on(ScheduleTick.stats_data_id))
        .order_by(ScheduleTick.stats_data_id, ScheduleTick.due_at.desc())
    )
    if stats_data_ids is not None:
        query = query.where(ScheduleTick.stats_data_id.in_(stats_data_ids))
    return {row[0]: LastTick(*row) for row in await session.execute(query)}


async def missed_total(session: AsyncSession) -> int:
    """Ticks ever found missed; a late tick keeps its ``missed_at``, so this only grows."""
    count = await session.scalar(
        sa.select(sa.func.count())
        .select_from(ScheduleTick)
        .where(ScheduleTick.missed_at.is_not(None))
    )
    return int(count or 0)


def success_ratio(counts: dict[str, int]) -> float | None:
    """(succeeded + unchanged) / final outcomes; ``None`` when no tick has a final outcome."""
    final = sum(counts.get(outcome.value, 0) for outcome in FINAL)
    if not final:
        return None
    return sum(counts.get(outcome.value, 0) for outcome in SUCCESSFUL) / final
