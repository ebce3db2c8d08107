"""A live worker keeps its run's lease while its event loop is busy (a large page being parsed),
and the recovery sweep takes over a run only once its lease has run out."""

from __future__ import annotations

import time
import uuid
from datetime import datetime

import psycopg
import pytest

from chiiki_ingest import repository, runs
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.heartbeat import Heartbeat
from chiiki_shared.db import session_scope

from .conftest import Api


def heartbeat_at(platform, run_id: uuid.UUID) -> datetime:
    with psycopg.connect(platform.admin_url) as connection:
        row = connection.execute("SELECT heartbeat_at FROM ingest.runs WHERE id = %s", (run_id,))
        return row.fetchone()[0]


async def started_run(api: Api, stats_data_id: str) -> uuid.UUID:
    async with session_scope(api.runtime.sessions) as session:
        run = await runs.create(session, stats_data_id, trigger="test")
        await runs.start(session, run.id, "busy-worker")
    return run.id


async def end(api: Api, run_id: uuid.UUID) -> None:
    async with session_scope(api.runtime.sessions) as session:
        await runs.fail(session, run_id, "test-over", "the test is over")


async def test_a_busy_event_loop_does_not_let_a_live_workers_lease_run_out(
    api: Api, settings: IngestSettings, platform, unique
) -> None:
    lively = settings.model_copy(update={"heartbeat_seconds": 0.2})
    run_id = await started_run(api, unique("heartbeat"))
    try:
        claimed = heartbeat_at(platform, run_id)
        with Heartbeat(lively, run_id):
            # The loop does nothing else for a while, as while it parses a large page.
            time.sleep(10 * lively.heartbeat_seconds)  # noqa: ASYNC251 - blocking is the point
            beaten = heartbeat_at(platform, run_id)
        assert (beaten - claimed).total_seconds() >= 5 * lively.heartbeat_seconds
    finally:
        await end(api, run_id)


async def test_the_sweep_takes_a_run_only_once_its_lease_has_run_out(
    api: Api, platform, unique
) -> None:
    run_id = await started_run(api, unique("lease"))
    try:
        async with session_scope(api.runtime.sessions) as session:
            due = await repository.runs_to_recover(session, lease_seconds=30, queued_seconds=900)
            assert run_id not in [run.id for run in due]
        with psycopg.connect(platform.admin_url) as connection:
            connection.execute(
                "UPDATE ingest.runs SET heartbeat_at = now() - interval '31 seconds' WHERE id = %s",
                (run_id,),
            )
        async with session_scope(api.runtime.sessions) as session:
            due = await repository.runs_to_recover(session, lease_seconds=30, queued_seconds=900)
            assert run_id in [run.id for run in due]
    finally:
        await end(api, run_id)


@pytest.mark.parametrize(("heartbeat", "lease"), [(5, 10), (15, 20)])
def test_a_lease_must_outlast_two_heartbeats(heartbeat: float, lease: float) -> None:
    with pytest.raises(ValueError, match="more than twice INGEST_HEARTBEAT_SECONDS"):
        IngestSettings(heartbeat_seconds=heartbeat, stale_run_seconds=lease)
