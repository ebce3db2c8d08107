"""Celery's view of a run matches the run: the ingest worker sends task events, and the task that
executed a failed run ends FAILURE (naming the run), a published one SUCCESS."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery import Celery

from .conftest import Api, Source, Workers

CENSUS = "census-c01-1920-2015"


class TaskEvents:
    """Every Celery event on this suite's broker, captured in a thread while the test runs."""

    def __init__(self, app: Celery) -> None:
        self.app = app
        self.events: list[dict[str, Any]] = []
        self.receiver: Any = None
        self.thread = threading.Thread(target=self._capture, daemon=True)

    def _capture(self) -> None:
        with self.app.connection_for_read() as connection:
            self.receiver = self.app.events.Receiver(connection, handlers={"*": self.events.append})
            self.receiver.capture(limit=None, timeout=None, wakeup=False)

    def stop(self) -> None:
        if self.receiver is not None:
            self.receiver.should_stop = True
        self.thread.join(timeout=10)

    def of_run(self, run_id: str) -> list[dict[str, Any]]:
        """The events of the ``ingest.run_ingestion`` task(s) sent for the run."""
        ids = {
            e["uuid"]
            for e in self.events
            if e["type"] == "task-received"
            and e.get("name") == "ingest.run_ingestion"
            and run_id in e.get("args", "")
        }
        return [e for e in self.events if e.get("uuid") in ids]

    async def until(self, what: str, found: Any, within: float = 120) -> Any:
        deadline = time.monotonic() + within
        while not (result := found()):
            assert time.monotonic() < deadline, f"no {what} in {len(self.events)} events"
            await asyncio.sleep(0.1)
        return result


@pytest.fixture
def task_events(workers: Workers) -> Iterator[TaskEvents]:
    capture = TaskEvents(workers.app)
    capture.thread.start()
    try:
        yield capture
    finally:
        capture.stop()


async def listening(task_events: TaskEvents, workers: Workers) -> None:
    """Until the capture hears the worker: pings until one's success event arrives."""

    def pinged() -> bool:
        return any(
            e["type"] == "task-succeeded" and e.get("result") == "'pong'"
            for e in task_events.events
        )

    deadline = time.monotonic() + 60
    while not pinged():
        assert time.monotonic() < deadline, "the worker's task events never arrived"
        workers.app.send_task("ingest.ping", queue="ingest")
        await asyncio.sleep(0.5)


async def test_a_failed_run_is_a_failed_task_and_a_published_one_succeeds(
    api: Api, source: Source, workers: Workers, task_events: TaskEvents, unique
) -> None:
    await listening(task_events, workers)
    stats_data_id = unique("task-state")
    source.copy(CENSUS, stats_data_id)
    down = {"kind": "status", "status": 503, "retry_after": "1", "count": None}
    source.faults({**down, "statsDataId": stats_data_id, "endpoint": "getStatsData"})
    try:
        failed = await api.ingest(stats_data_id)
    finally:
        source.clear_faults()
    assert failed["status"] == "failed"

    def final(run_id: str) -> dict[str, Any] | None:
        ends = [
            e for e in task_events.of_run(run_id) if e["type"] in ("task-succeeded", "task-failed")
        ]
        return ends[0] if ends else None

    end = await task_events.until("end of the failed run's task", lambda: final(failed["id"]))
    assert end["type"] == "task-failed"
    assert end["exception"] == (
        f"RunNotPublished('run {failed['id']} failed; see /api/ingest/runs/{failed['id']}')"
    )
    kinds = [e["type"] for e in task_events.of_run(failed["id"]) if e["type"] != "task-sent"]
    assert kinds == ["task-received", "task-started", "task-failed"]

    published = await api.ingest(stats_data_id)
    assert published["status"] == "succeeded"
    end = await task_events.until("end of the published run's task", lambda: final(published["id"]))
    assert (end["type"], end["result"]) == ("task-succeeded", "'published'")
