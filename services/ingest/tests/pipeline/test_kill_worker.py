"""A worker killed mid-run: the run is resumed and stats ends with exactly the source's cells.

Each test stops the package's ingest worker so that a worker of its own (the victim) takes the
run, kills it with SIGKILL at a known point, lets another worker finish, and starts the package's
worker again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Iterator

import psutil
import psycopg
import pytest

from chiiki_ingest import runs as run_states
from chiiki_ingest.locks import is_locked
from chiiki_shared.db import session_scope

from .conftest import (
    PAGE_SIZE,
    Api,
    Source,
    Workers,
    assert_same_cells,
    source_cells,
    stats_cells,
    stats_version,
)


@pytest.fixture(scope="module")
def without_package_worker(workers: Workers) -> Iterator[Workers]:
    workers.stop("ingest")
    try:
        yield workers
    finally:
        workers.start("ingest", "ingest", concurrency=2)


@pytest.fixture
def own_workers(without_package_worker: Workers) -> Iterator[Workers]:
    yield without_package_worker
    for name in ("victim", "rescuer"):
        if name in without_package_worker.started:
            without_package_worker.stop(name)


async def wait_for(api: Api, run_id: str, ready, within: float = 120) -> dict:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        detail = (await api.admin.get(f"/api/ingest/runs/{run_id}")).json()
        if ready(detail):
            return detail
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} never got there: {detail}")


def positions(source: Source, stats_data_id: str) -> list[int]:
    return [int(r["params"]["startPosition"]) for r in source.requests(stats_data_id)]


async def until_requested(source: Source, stats_data_id: str, position: int, within: float = 120):
    """Until the replay server has received the request for the page at ``position``."""
    deadline = time.monotonic() + within
    while position not in positions(source, stats_data_id):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"page {position} never requested: {positions(source, stats_data_id)}"
            )
        await asyncio.sleep(0.05)


async def until_lost(api: Api, workers: Workers, run_id: str, stats_data_id: str) -> None:
    """Until recovery would take the run over: its lease ran out (no heartbeat for
    ``INGEST_STALE_RUN_SECONDS``) and no session holds its lock."""
    await api.until_silent_for(run_id, float(workers.env["INGEST_STALE_RUN_SECONDS"]))
    deadline = time.monotonic() + 120
    while await is_locked(api.runtime.engine, stats_data_id):
        if time.monotonic() > deadline:
            raise AssertionError(f"the lock of {stats_data_id} is still held")
        await asyncio.sleep(0.1)


async def test_a_killed_worker_is_replaced_and_the_run_resumes_from_its_pages(
    api: Api, source: Source, own_workers: Workers, platform, unique
) -> None:
    stats_data_id = unique("ssdse-b-kill")
    document = source.copy("ssdse-b-2023", stats_data_id)
    # The third page hangs, so the victim is surely in the middle of fetching when it dies.
    third = 2 * PAGE_SIZE + 1
    source.faults(
        {"kind": "latency", "seconds": 60, "statsDataId": stats_data_id, "startPosition": third}
    )
    own_workers.start("ingest", "victim")
    run_id = await api.run(stats_data_id)
    await wait_for(api, run_id, lambda r: r["progress"]["pages_fetched"] == 2)
    await until_requested(source, stats_data_id, third)  # the victim is waiting on it

    own_workers.kill("victim")
    own_workers.start("ingest", "rescuer")
    # The killed worker's message stays unacknowledged until Redis's visibility timeout; the
    # run is taken over by the recovery task once its heartbeat is older than the deadline.
    await until_lost(api, own_workers, run_id, stats_data_id)
    own_workers.send("ingest.recover_runs", {})
    run = await api.wait(run_id)

    assert (run["status"], run["attempt"]) == ("succeeded", 2)
    # Pages 1 and 2 were read once: the rescuer went on from the stored pages.
    assert positions(source, stats_data_id) == [1, PAGE_SIZE + 1, third, third, 3 * PAGE_SIZE + 1]
    assert run["counts"]["pages"] == 4
    assert stats_version(platform, stats_data_id) == 1
    assert_same_cells(source_cells(document), stats_cells(platform, stats_data_id))


async def test_a_killed_pool_process_gets_its_task_redelivered(
    api: Api, source: Source, own_workers: Workers, platform, unique
) -> None:
    stats_data_id = unique("ssdse-b-child")
    document = source.copy("ssdse-b-2023", stats_data_id)
    second = PAGE_SIZE + 1
    source.faults(
        {"kind": "latency", "seconds": 60, "statsDataId": stats_data_id, "startPosition": second}
    )
    victim = own_workers.start("ingest", "victim")
    run_id = await api.run(stats_data_id)
    await wait_for(api, run_id, lambda r: r["progress"]["pages_fetched"] == 1)
    await until_requested(source, stats_data_id, second)

    # Only the pool process running the task dies; its parent sees the loss and, with
    # acks_late and reject_on_worker_lost, puts the message back on the queue at once.
    [child] = psutil.Process(victim.pid).children()
    os.kill(child.pid, signal.SIGKILL)
    run = await api.wait(run_id)

    assert (run["status"], run["attempt"]) == ("succeeded", 2)
    assert positions(source, stats_data_id)[:3] == [1, second, second]
    assert_same_cells(source_cells(document), stats_cells(platform, stats_data_id))


async def test_a_worker_killed_while_publishing_resends_with_the_same_batches(
    api: Api, source: Source, own_workers: Workers, platform, unique
) -> None:
    stats_data_id = unique("census-publish")
    document = source.copy("census-c01-1920-2015", stats_data_id)
    # The victim publishes in batches of 24 cells (120 of them), so it dies half-way through.
    own_workers.env = {**own_workers.env, "INGEST_BATCH_SIZE": "24"}
    try:
        own_workers.start("ingest", "victim")
    finally:
        own_workers.env = {k: v for k, v in own_workers.env.items() if k != "INGEST_BATCH_SIZE"}
    run_id = await api.run(stats_data_id)
    sent = batches_sent_when(platform, run_id, lambda sent: sent >= 5)
    own_workers.kill("victim")
    assert 5 <= sent < 120

    # The rescuer's own batch size is 5,000, but the run keeps the 24 it started with.
    own_workers.start("ingest", "rescuer")
    await until_lost(api, own_workers, run_id, stats_data_id)
    own_workers.send("ingest.recover_runs", {})
    run = await api.wait(run_id)

    assert (run["status"], run["attempt"]) == ("succeeded", 2)
    assert run["counts"]["batches"] == run["progress"]["batch_count"] == 120
    assert stats_version(platform, stats_data_id) == 1
    assert_same_cells(source_cells(document), stats_cells(platform, stats_data_id))


def batches_sent_when(platform, run_id: str, ready, timeout: float = 120) -> int:
    """Watch the run's row directly (a tight loop: publishing 120 small batches is quick)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(platform.admin_url, autocommit=True) as connection:
        while time.monotonic() < deadline:
            phase, sent = connection.execute(
                "SELECT phase, (progress->>'batches_sent')::int FROM ingest.runs WHERE id = %s",
                (run_id,),
            ).fetchone()
            if phase == "publishing" and sent is not None and ready(sent):
                return sent
            time.sleep(0.002)
    raise AssertionError(f"run {run_id} never published enough batches")


async def test_a_run_that_keeps_killing_its_worker_fails_after_max_attempts(
    api: Api, source: Source, own_workers: Workers, unique, alerts
) -> None:
    stats_data_id = unique("census-lost")
    source.copy("census-c01-1920-2015", stats_data_id)
    async with session_scope(api.runtime.sessions) as session:
        run = await run_states.create(session, stats_data_id, trigger="test")
        # As if three workers had started it and died (attempt 3 = INGEST_MAX_ATTEMPTS).
        for _ in range(3):
            await run_states.start(session, run.id, "lost-worker")
        await session.execute(
            run_states.sa.text(
                "UPDATE ingest.runs SET heartbeat_at = now() - interval '1 hour' WHERE id = :id"
            ),
            {"id": run.id},
        )
    own_workers.start("ingest", "rescuer")
    own_workers.send("ingest.recover_runs", {})
    detail = await api.wait(str(run.id))

    assert detail["status"] == "failed"
    assert detail["error"]["code"] == "attempts-exhausted"
    assert alerts.for_run(str(run.id))["error_code"] == "attempts-exhausted"
