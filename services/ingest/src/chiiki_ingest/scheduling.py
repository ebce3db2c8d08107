"""The schedule as the admin API shows it, and running a scheduled table now.

``GET /api/ingest/schedule`` lists every enabled entry on a schedule with its cron, its latest
due tick and that tick's outcome (``ticks``) and its next tick. ``POST .../{id}/run`` queues a run
with trigger ``run-now`` (``POST .../run-now``: one for every scheduled table, the daily tick on
demand); it is not a tick of its own (the ratio is the schedule's), but a tick
that finds it still active takes its outcome, labelled ``run-now``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_ingest import runs, service, ticks
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.models import CatalogEntry, Run
from chiiki_ingest.schemas import ScheduledTable, TickRead
from chiiki_shared.audit import Actor, Origin
from chiiki_shared.bus import Outbox
from chiiki_shared.errors import Conflict
from chiiki_shared.pagination import bad_cursor, decode_cursor

RUN_NOW = "run-now"


class EntryDisabled(Conflict):
    code, title = "catalog-entry-disabled", "Catalog entry is disabled"


async def page(
    session: AsyncSession, settings: IngestSettings, *, limit: int, cursor: str | None
) -> tuple[list[ScheduledTable], list[Any] | None]:
    """A page of the scheduled tables and the key of its last one when more follow."""
    after = None
    if cursor is not None:
        [after] = decode_cursor(cursor, length=1)
        if not isinstance(after, str):
            raise bad_cursor()
    entries = await ticks.scheduled_entries(session, after=after, limit=limit + 1)
    more, entries = len(entries) > limit, entries[:limit]
    last = await ticks.last_ticks(session, [entry.stats_data_id for entry in entries])
    now = datetime.now(UTC)
    items = [_read(settings, entry, last.get(entry.stats_data_id), now) for entry in entries]
    return items, [entries[-1].stats_data_id] if more and entries else None


def _read(
    settings: IngestSettings, entry: CatalogEntry, tick: ticks.LastTick | None, now: datetime
) -> ScheduledTable:
    cron = ticks.scheduled_cron(settings, entry.schedule)
    return ScheduledTable(
        stats_data_id=entry.stats_data_id,
        title=entry.title,
        schedule=entry.schedule,
        cron=cron,
        scheduled_since=entry.scheduled_since,
        last_tick=None if tick is None else _tick(tick),
        next_tick_at=ticks.next_due(cron, now),
        run_now=f"/api/ingest/schedule/{entry.stats_data_id}/run",
    )


def _tick(tick: ticks.LastTick) -> TickRead:
    return TickRead(
        due_at=tick.due_at,
        outcome=tick.outcome,
        trigger=tick.trigger,
        run_id=tick.run_id,
        run_href=None if tick.run_id is None else f"/api/ingest/runs/{tick.run_id}",
    )


async def run_now(
    session: AsyncSession,
    outbox: Outbox,
    settings: IngestSettings,
    stats_data_id: str,
    *,
    actor: Actor,
    origin: Origin,
) -> Run:
    entry = await service.get_entry(session, stats_data_id)
    if not entry.enabled:
        raise EntryDisabled(f"{stats_data_id} is disabled; enable it or use POST /api/ingest/runs")
    try:
        run = await service.enqueue_run(session, outbox, settings, stats_data_id, trigger=RUN_NOW)
    except runs.ActiveRunExists as error:
        raise service.active_conflict(error) from None
    await service.audit_run(session, run, "run.triggered", actor, origin)
    return run


async def run_tick_now(
    session: AsyncSession,
    outbox: Outbox,
    settings: IngestSettings,
    *,
    actor: Actor,
    origin: Origin,
) -> tuple[list[Run], list[runs.ActiveRunExists]]:
    """The daily tick on demand: a ``run-now`` run of every enabled scheduled table, and the
    tables skipped because a run of theirs is active. Like a single run-now, it is no tick of
    the schedule's own (the success ratio counts scheduled days only)."""
    started: list[Run] = []
    busy: list[runs.ActiveRunExists] = []
    for entry in await ticks.scheduled_entries(session):
        try:
            run = await service.enqueue_run(
                session, outbox, settings, entry.stats_data_id, trigger=RUN_NOW
            )
        except runs.ActiveRunExists as error:
            busy.append(error)
            continue
        await service.audit_run(session, run, "run.triggered", actor, origin)
        started.append(run)
    return started, busy
