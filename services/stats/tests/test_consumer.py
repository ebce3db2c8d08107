"""The bus consumer against Postgres: staging, idempotency, atomicity, replies, and the real
Celery worker. Payloads are built from the recorded e-Stat tables exactly as the contract says."""

import asyncio
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select, text

from chiiki_shared.db import session_scope
from chiiki_stats import consumer, tasks
from chiiki_stats.config import StatsSettings
from chiiki_stats.models import Dataset, DatasetVersion, Observation, Series, StagedBatch

C01 = "census-c01-1920-2015"


async def scalar(runtime, statement, **params: Any) -> Any:
    async with session_scope(runtime.sessions) as session:
        return await session.scalar(statement, params)


async def observation_count(runtime, stats_data_id: str) -> int:
    return await scalar(
        runtime,
        select(func.count())
        .select_from(Observation)
        .join(Series, Series.id == Observation.series_id)
        .where(Series.dataset_id == stats_data_id),
    )


async def version(runtime, stats_data_id: str) -> int:
    return await scalar(runtime, select(Dataset.version).where(Dataset.id == stats_data_id))


async def stage_all(runtime, batches: list[dict[str, Any]]) -> list[str]:
    statuses = []
    for batch in batches:
        async with session_scope(runtime.sessions) as session:
            statuses.append(await consumer.stage_batch(session, batch))
    return statuses


def sent(outcome: consumer.PublishOutcome) -> list[tuple[str, dict[str, Any]]]:
    """The messages the task would send, as they go on the bus: task name and JSON payload."""
    return [(message.TASK, message.payload()) for message in outcome.messages]


async def publish(
    runtime, payload: dict[str, Any], *, final: bool = True
) -> consumer.PublishOutcome:
    async with session_scope(runtime.sessions) as session:
        return await consumer.publish_version(session, payload, final_attempt=final)


async def test_every_recorded_table_is_applied_cell_for_cell(loaded, runtime, estat) -> None:
    for stats_data_id in estat.ALL_TABLES:
        expected = len(estat.table(stats_data_id).cells)
        assert await observation_count(runtime, stats_data_id) == expected
    counts = {
        "0003445099": 16344,
        C01: 2880,
        "census-0003410379": 987,
        "census-0003410380": 780,
        "census-2015-on-2020-areas": 4086,
        "census-japanese-2010-2015": 3934,
        "ssdse-b-2023": 61476,
        "ssdse-a-2023": 217625,
    }
    assert {d: len(estat.table(d).cells) for d in counts} == counts
    # The four "-" cells of 0003445099 (again in its 2015 column moved to 2015) and Okinawa 1945
    # in c01 (3 series) and 0003410379 (1) are NULL with their mark, not 0.
    marked = await scalar(
        runtime,
        select(func.count()).select_from(Observation).where(Observation.mark == "-"),
    )
    assert marked == 4 + 4 + 3 + 1
    zero_for_missing = await scalar(
        runtime,
        select(func.count())
        .select_from(Observation)
        .where(Observation.mark.is_not(None), Observation.value.is_not(None)),
    )
    assert zero_for_missing == 0


async def test_cells_keep_their_codes_periods_and_units(loaded, runtime) -> None:
    async with session_scope(runtime.sessions) as session:
        row = (
            await session.execute(
                select(Observation, Series)
                .join(Series, Series.id == Observation.series_id)
                .where(
                    Series.dataset_id == "0003445099",
                    Observation.region_code == "13000",
                    Series.key["tab"].astext == "2020_47",
                )
            )
        ).one()
    observation, series = row
    assert series.key == {"tab": "2020_47"}
    assert series.unit == "km2"
    assert (observation.time_code, observation.period_kind.value, observation.period_year) == (
        "2020000000",
        "calendar_year",
        2020,
    )
    assert str(observation.value) == "2194.03"


async def test_a_redelivered_batch_replaces_itself(runtime, estat) -> None:
    batches, _ = estat.table(C01).messages()
    run_id = batches[0]["run_id"]
    assert await stage_all(runtime, [batches[0], batches[0]]) == ["staged", "staged"]
    staged = await scalar(
        runtime,
        select(func.count()).select_from(StagedBatch).where(StagedBatch.run_id == run_id),
    )
    assert staged == 1
    async with session_scope(runtime.sessions) as session:
        await session.execute(text("DELETE FROM staged_batches WHERE run_id = :r"), {"r": run_id})


async def test_the_same_content_again_changes_nothing(loaded, runtime, estat) -> None:
    before = await version(runtime, C01)
    batches, payload = estat.table(C01).messages()
    await stage_all(runtime, batches)
    outcome = await publish(runtime, payload)
    assert (outcome.status, outcome.version) == ("unchanged", before)
    assert sent(outcome)[0][0] == "ingest.version_applied"
    assert sent(outcome)[0][1]["version"] == before
    # Its batches are gone, and delivering the publish again answers the same.
    assert (
        await scalar(
            runtime,
            select(func.count())
            .select_from(StagedBatch)
            .where(StagedBatch.run_id == payload["run_id"]),
        )
        == 0
    )
    again = await publish(runtime, payload)
    assert (again.status, again.version) == ("unchanged", before)
    assert await version(runtime, C01) == before


async def test_a_new_version_replaces_the_old_and_redelivery_is_a_no_op(
    loaded, runtime, estat
) -> None:
    full = estat.table(C01)
    before = await version(runtime, C01)
    series_before = await scalar(
        runtime, select(func.min(Series.id)).where(Series.dataset_id == C01)
    )
    # The table as it stood in 2010: the same real cells, fewer census years.
    older = full.where(lambda codes: codes["time"] <= "2010000000")
    batches, payload = older.messages(size=700)
    assert len(batches) == 4
    await stage_all(runtime, list(reversed(batches)))  # any order
    outcome = await publish(runtime, payload)
    assert (outcome.status, outcome.version) == ("applied", before + 1)
    applied, updated = sent(outcome)
    assert applied[0] == "ingest.version_applied"
    assert applied[1]["run_id"] == payload["run_id"]
    assert applied[1]["cell_count"] == len(older.cells) == 2880 - 48 * 3
    assert applied[1]["applied_at"].endswith("Z")
    assert updated[0] == "analytics.dataset_updated"
    assert updated[1]["version"] == before + 1
    assert {"population.total", "population.male", "vital.crude_birth_rate"} <= set(
        updated[1]["indicators"]
    )
    assert "labour.job_openings_ratio" not in updated[1]["indicators"]
    assert await observation_count(runtime, C01) == len(older.cells)
    # Series keep their ids across versions; the version is in the history with its run.
    assert (
        await scalar(runtime, select(func.min(Series.id)).where(Series.dataset_id == C01))
        == series_before
    )
    assert (
        str(
            await scalar(
                runtime,
                select(DatasetVersion.run_id).where(
                    DatasetVersion.version == before + 1, DatasetVersion.dataset_id == C01
                ),
            )
        )
        == payload["run_id"]
    )

    # A redelivered publish and redelivered batches of an applied run change nothing.
    again = await publish(runtime, payload)
    assert (again.status, again.version) == ("already", before + 1)
    assert sent(again) == [applied]
    assert await stage_all(runtime, batches[:1]) == ["ignored"]

    # The full table again is the next version.
    batches, payload = full.messages()
    await stage_all(runtime, batches)
    assert (await publish(runtime, payload)).version == before + 2
    assert await observation_count(runtime, C01) == 2880


async def test_readers_see_the_old_version_or_the_new_never_a_mix(loaded, runtime, estat) -> None:
    full = estat.table(C01)
    before = await version(runtime, C01)
    older = full.where(lambda codes: codes["time"] <= "2010000000")
    batches, payload = older.messages()
    await stage_all(runtime, batches)
    async with runtime.sessions() as reader, reader.begin():
        await reader.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        seen_version = await reader.scalar(select(Dataset.version).where(Dataset.id == C01))
        async with session_scope(runtime.sessions) as writer:
            outcome = await consumer.publish_version(writer, payload)
            assert outcome.status == "applied"
            # Written but not committed: nobody else sees any of it.
            assert await version(runtime, C01) == before
            assert await observation_count(runtime, C01) == 2880
        # Committed: new readers see all of it, the open snapshot still all of the old.
        assert await version(runtime, C01) == before + 1
        assert await observation_count(runtime, C01) == len(older.cells)
        still = await reader.scalar(
            select(func.count())
            .select_from(Observation)
            .join(Series, Series.id == Observation.series_id)
            .where(Series.dataset_id == C01)
        )
        assert (seen_version, still) == (before, 2880)
    batches, payload = full.messages()
    await stage_all(runtime, batches)
    assert (await publish(runtime, payload)).status == "applied"


async def test_a_version_that_fails_midway_leaves_the_current_one_whole(
    loaded, runtime, estat
) -> None:
    before = await version(runtime, C01)
    older = estat.table(C01).where(lambda codes: codes["time"] <= "1990000000")
    batches, payload = older.messages()
    await stage_all(runtime, batches)

    async def crash_before_commit() -> None:
        async with session_scope(runtime.sessions) as session:
            assert (await consumer.publish_version(session, payload)).status == "applied"
            raise RuntimeError("worker died before commit")

    with pytest.raises(RuntimeError, match="worker died"):
        await crash_before_commit()
    assert await version(runtime, C01) == before
    assert await observation_count(runtime, C01) == 2880
    # The batches are still staged, so the redelivered publish applies the version.
    outcome = await publish(runtime, payload)
    assert outcome.status == "applied"
    batches, payload = estat.table(C01).messages()
    await stage_all(runtime, batches)
    assert (await publish(runtime, payload)).status == "applied"


async def test_missing_batches_wait_then_reject(runtime, estat) -> None:
    batches, payload = (
        estat.table(C01).where(lambda codes: codes["area"] == "13000").messages(size=20)
    )
    await stage_all(runtime, batches[:-1])
    assert (await publish(runtime, payload, final=False)).status == "pending"
    outcome = await publish(runtime, payload, final=True)
    assert outcome.status == "rejected"
    assert outcome.reason == f"only {len(batches) - 1} of {len(batches)} batches arrived"
    assert sent(outcome) == [
        (
            "ingest.version_rejected",
            {
                "schema_version": 1,
                "run_id": payload["run_id"],
                "stats_data_id": C01,
                "reason": outcome.reason,
            },
        )
    ]
    assert (
        await scalar(
            runtime,
            select(func.count())
            .select_from(StagedBatch)
            .where(StagedBatch.run_id == payload["run_id"]),
        )
        == 0
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda cell: [*cell[:2], "99000", *cell[3:]], "codes not in the area class: 99000"),
        (lambda cell: [*cell[:4], "12,345", None, "人"], "value '12,345' is not a decimal number"),
        (lambda cell: [*cell[:4], "1", "x", "人"], "has both a value and the mark 'x'"),
    ],
)
async def test_inconsistent_cells_are_rejected(loaded, runtime, estat, change, reason) -> None:
    table = estat.table(C01).where(lambda codes: codes["area"] == "01000")
    batches, payload = table.messages()
    batches[0]["cells"][5] = change(batches[0]["cells"][5])
    payload["content_hash"] = "sha256:" + uuid.uuid4().hex
    await stage_all(runtime, batches)
    outcome = await publish(runtime, payload)
    assert outcome.status == "rejected"
    assert reason in outcome.reason
    assert await observation_count(runtime, C01) == 2880


async def test_a_malformed_batch_rejects_its_run(runtime, estat) -> None:
    batches, payload = estat.table(C01).where(lambda codes: codes["area"] == "02000").messages()
    broken = {**batches[0], "cells": [["001", "0", "02000"]]}
    assert await stage_all(runtime, [broken]) == ["invalid"]
    outcome = await publish(runtime, payload)
    assert outcome.status == "rejected"
    assert outcome.reason == "batch 0: payload: Value error, cell 0 has 3 fields, expected 7"


async def test_malformed_payloads_are_refused_without_staging(runtime) -> None:
    async with session_scope(runtime.sessions) as session:
        assert await consumer.stage_batch(session, {"cells": "nonsense"}) == "invalid"
    outcome = await publish(runtime, {"run_id": str(uuid.uuid4()), "stats_data_id": "x"})
    assert outcome.status == "rejected"
    assert sent(outcome)[0][0] == "ingest.version_rejected"


async def test_the_apply_batch_task_function_stages(runtime, estat) -> None:
    batches, _ = estat.table(C01).where(lambda codes: codes["area"] == "03000").messages()
    assert await asyncio.to_thread(tasks.apply_batch, batches[0]) == "staged"
    assert await asyncio.to_thread(tasks.apply_batch, batches[0]) == "staged"
    assert await asyncio.to_thread(tasks.apply_batch, {"run_id": "not-a-uuid"}) == "invalid"
    async with session_scope(runtime.sessions) as session:
        await session.execute(
            text("DELETE FROM staged_batches WHERE run_id = :r"), {"r": batches[0]["run_id"]}
        )


def replies(app, queue: str, run_ids: set[str], count: int) -> list[tuple[str, dict[str, Any]]]:
    """Messages for ``run_ids`` on another service's queue, read off the bus as that service's
    worker would receive them (other messages are put back)."""
    found = []
    deadline = time.monotonic() + 30
    with app.connection_for_read() as connection, connection.SimpleQueue(queue) as inbox:
        while len(found) < count and time.monotonic() < deadline:
            try:
                message = inbox.get(timeout=0.5)
            except inbox.Empty:
                continue
            (payload,), _, _ = message.payload
            if payload.get("run_id") in run_ids or payload.get("stats_data_id") in run_ids:
                found.append((message.headers["task"], payload))
                message.ack()
            else:
                message.requeue()
    return found


def test_a_real_worker_applies_versions_and_answers_on_the_bus(
    loaded, platform, estat, monkeypatch
) -> None:
    """Tasks sent by name to a Celery worker running chiiki_stats.worker's app: batches after
    their publish_version, one redelivered; the replies reach the ingest and analytics queues."""
    from celery.contrib.testing.worker import start_worker

    from chiiki_stats.worker import celery_app

    monkeypatch.setenv("STATS_PUBLISH_RETRY_SECONDS", "0.2")
    older = estat.table(C01).where(lambda codes: codes["time"] <= "2000000000")
    runs = [older.messages(size=500), estat.table(C01).messages(size=500)]
    applied = []
    with start_worker(celery_app, queues=["stats"], perform_ping_check=False, pool="solo"):
        for batches, payload in runs:
            celery_app.send_task("stats.publish_version", args=[payload])
            for batch in batches:
                celery_app.send_task("stats.apply_batch", args=[batch])
            celery_app.send_task("stats.apply_batch", args=[batches[0]])
            applied += replies(celery_app, "ingest", {payload["run_id"]}, 1)
    updated = replies(celery_app, "analytics", {C01}, 2)
    assert [name for name, _ in applied] == ["ingest.version_applied"] * 2
    first, second = (payload for _, payload in applied)
    assert first["run_id"] == runs[0][1]["run_id"]
    assert first["cell_count"] == len(older.cells) == 2880 - 3 * 48 * 3
    assert (second["run_id"], second["cell_count"]) == (runs[1][1]["run_id"], 2880)
    assert second["version"] == first["version"] + 1
    assert [(name, payload["version"]) for name, payload in updated] == [
        ("analytics.dataset_updated", first["version"]),
        ("analytics.dataset_updated", second["version"]),
    ]


def test_waiting_for_batches_does_not_use_up_the_error_retries() -> None:
    settings = StatsSettings(publish_max_retries=5)
    waited = tasks.Attempts(waits=3)
    # Three waits are not three errors: the first database error after them is retried...
    assert waited.may_retry_error()
    assert not waited.last_wait(settings)
    # ...until that budget of its own is spent, and missing batches reject only after the waits.
    assert not tasks.Attempts(waits=0, errors=tasks.ERROR_RETRIES).may_retry_error()
    assert tasks.Attempts(waits=5).last_wait(settings)
    assert [tasks.Attempts(waits=n).wait_countdown(settings) for n in range(7)] == [
        2.0,
        4.0,
        8.0,
        16.0,
        32.0,
        60.0,
        60.0,
    ]


def waiters(connection, key: tuple[int, int]) -> int:
    return connection.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        " AND classid = %s::oid AND objid = %s::bigint::oid AND objsubid = 2",
        (key[0], key[1] & 0xFFFFFFFF),
    ).fetchone()[0]


def test_a_database_error_after_waiting_for_batches_is_retried(
    loaded, platform, estat, monkeypatch
) -> None:
    """A publish that already waited three times for its batches meets a database error (its
    statement times out behind a lock held here): it is retried and applied, not rejected."""
    import psycopg
    from celery.contrib.testing.worker import start_worker

    from chiiki_shared.locks import lock_key
    from chiiki_stats.worker import celery_app

    monkeypatch.setenv("STATS_PUBLISH_RETRY_SECONDS", "0.2")
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "500")
    batches, payload = estat.table(C01).where(lambda c: c["time"] <= "1980000000").messages()
    key = lock_key(consumer.DATASETS, C01)
    with (
        psycopg.connect(platform.admin_url, autocommit=True) as watcher,
        psycopg.connect(platform.admin_url) as holder,
    ):
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", key)
        with start_worker(celery_app, queues=["stats"], perform_ping_check=False, pool="solo"):
            for batch in batches:
                celery_app.send_task("stats.apply_batch", args=[batch])
            celery_app.send_task("stats.publish_version", args=[payload], kwargs={"waits": 3})
            deadline = time.monotonic() + 60
            while waiters(watcher, key) == 0:  # the publish waits for the lock...
                assert time.monotonic() < deadline, "publish_version never waited for the lock"
                time.sleep(0.02)
            while waiters(watcher, key) == 1:  # ...until its statement times out
                assert time.monotonic() < deadline, "the lock wait never timed out"
                time.sleep(0.02)
            holder.rollback()  # the database is back: the retry can apply the version
            (answer,) = replies(celery_app, "ingest", {payload["run_id"]}, 1)
            # The full table is current again for the other tests.
            batches, full = estat.table(C01).messages()
            for batch in batches:
                celery_app.send_task("stats.apply_batch", args=[batch])
            celery_app.send_task("stats.publish_version", args=[full])
            (restored,) = replies(celery_app, "ingest", {full["run_id"]}, 1)
        replies(celery_app, "analytics", {C01}, 2)
    assert (answer[0], answer[1]["cell_count"]) == ("ingest.version_applied", payload["cell_count"])
    assert restored[0] == "ingest.version_applied"
