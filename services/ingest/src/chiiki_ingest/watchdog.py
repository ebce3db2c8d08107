"""The schedule watchdog: finds due ticks that never ran (beat down, no worker) and alerts.

It runs in the ingest API process, not in a worker: a tick that did not run is exactly what
happens when beat or the workers are down, so the check must not depend on them. Every
``INGEST_SCHEDULE_WATCH_SECONDS`` it writes a missed row for each due tick older than
``INGEST_SCHEDULE_MISSED_AFTER_SECONDS`` without one (``ticks.record_missed``) and sends one alert
listing them. Several API processes may run it: the row's primary key lets only one of them
write a given miss, and only that one alerts.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import UTC, datetime

import structlog

from chiiki_ingest import alerts, ticks
from chiiki_ingest.config import IngestSettings
from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime

logger = structlog.get_logger("chiiki_ingest.watchdog")
TASK = "schedule_watchdog"


async def check(runtime: Runtime, settings: IngestSettings) -> list[ticks.Missed]:
    """One pass: record and alert the ticks missed since the last pass."""
    async with session_scope(runtime.sessions) as session:
        missed = await ticks.record_missed(session, settings, datetime.now(UTC))
    if missed:
        await alerts.alert_ticks_missed(settings, missed)
    return missed


async def watch_forever(runtime: Runtime, settings: IngestSettings) -> None:
    while True:
        try:
            await check(runtime, settings)
        except Exception as error:  # the database may be down; /readyz reports that
            logger.warning("ingest.schedule_watch_failed", error=type(error).__name__)
        await asyncio.sleep(settings.schedule_watch_seconds)


async def start(runtime: Runtime) -> None:
    settings: IngestSettings = runtime.settings  # type: ignore[assignment]
    if settings.schedule_enabled:
        runtime.extras[TASK] = asyncio.create_task(watch_forever(runtime, settings))


async def stop(runtime: Runtime) -> None:
    task = runtime.extras.pop(TASK, None)
    if isinstance(task, asyncio.Task):
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
