"""Runs an admin can watch and stop: the source's retries on the run (attempt, last error, next
attempt), a failed page named by its startPosition, and POST /runs/{id}/cancel.

The multi-page table is a copy of the recorded SSDSE-B table (61,476 cells: four pages of this
suite's 20,000); the replay server delays or fails its second page (startPosition 20001).
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from chiiki_ingest import runs

from .conftest import Api, Source, stats_version
from .test_admin_api import assert_problem

SSDSE_B = "ssdse-b-2023"
SECOND_PAGE = "20001"


async def until_asked(
    source: Source, stats_data_id: str, position: str, times: int, within: float = 120
) -> None:
    deadline = time.monotonic() + within
    while True:
        asked = [
            r
            for r in source.requests(stats_data_id)
            if r["params"].get("startPosition") == position
        ]
        if len(asked) >= times:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"startPosition {position} of {stats_data_id} never asked for")
        await asyncio.sleep(0.1)


async def test_a_page_that_keeps_failing_is_named_with_the_retries_seen(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("ssdse-b-down")
    source.copy(SSDSE_B, stats_data_id)
    fault = {"kind": "status", "status": 503, "retry_after": "1", "count": None}
    source.faults({**fault, "statsDataId": stats_data_id, "startPosition": SECOND_PAGE})
    try:
        run = await api.ingest(stats_data_id)
    finally:
        source.clear_faults()

    assert run["status"] == "failed"
    assert run["error"]["code"] == "estat-unavailable"
    assert run["error"]["message"] == (
        "page at startPosition 20001: e-Stat getStatsData failed after 2 attempts: HTTP 503"
    )
    progress = run["progress"]
    assert progress["pages_fetched"] == 1
    assert (progress["source_attempt"], progress["source_max_attempts"]) == (2, 2)
    assert progress["source_retries"] == 1
    assert progress["last_error"] == (
        "getStatsData at startPosition 20001, attempt 1 of 2: HTTP 503"
    )
    assert datetime.fromisoformat(progress["next_attempt_at"]) is not None


async def test_a_page_that_recovers_keeps_the_retry_and_clears_the_next_attempt(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("ssdse-b-flaky")
    source.copy(SSDSE_B, stats_data_id)
    fault = {"kind": "status", "status": 503, "retry_after": "1", "count": 1}
    source.faults({**fault, "statsDataId": stats_data_id, "startPosition": SECOND_PAGE})
    try:
        run = await api.ingest(stats_data_id)
    finally:
        source.clear_faults()

    assert run["status"] == "succeeded", run
    progress = run["progress"]
    assert (progress["pages_fetched"], progress["source_retries"]) == (4, 1)
    assert (progress["source_attempt"], progress["next_attempt_at"]) == (None, None)
    assert progress["last_error"].startswith("getStatsData at startPosition 20001, attempt 1")
    assert stats_version(platform, stats_data_id) == 1


async def test_a_running_run_is_cancelled_at_the_next_page(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("ssdse-b-cancel")
    source.copy(SSDSE_B, stats_data_id)
    assert (await api.ingest(stats_data_id))["status"] == "succeeded"
    # The second page takes 8 s: the cancel arrives while it is being read.
    slow = {"kind": "latency", "seconds": 8, "count": 1}
    source.faults({**slow, "statsDataId": stats_data_id, "startPosition": SECOND_PAGE})
    try:
        run_id = await api.run(stats_data_id)
        # The replay logs a request on arrival (the first run asked once): the worker is reading
        # this run's page 2, past page 1's boundary.
        await until_asked(source, stats_data_id, SECOND_PAGE, times=2)

        asked = await api.admin.post(f"/api/ingest/runs/{run_id}/cancel")

        assert asked.status_code == 202, asked.text
        assert asked.json()["status"] == "running"
        assert asked.json()["cancel_requested_at"] is not None
        run = await api.wait(run_id, "cancelled", "succeeded", "failed", "blocked")
    finally:
        source.clear_faults()

    assert run["status"] == "cancelled"
    assert run["error"]["code"] == "cancelled"
    assert (run["progress"]["pages_fetched"], run["counts"]["pages"]) == (2, 2)
    asked_positions = [r["params"].get("startPosition") for r in source.requests(stats_data_id)]
    assert asked_positions[-2:] == ["1", SECOND_PAGE]  # the third page was never asked for
    assert stats_version(platform, stats_data_id) == 1  # the served version is untouched
    again = await api.admin.post(f"/api/ingest/runs/{run_id}/cancel")
    problem = assert_problem(again, 409, "run-not-cancellable")
    assert problem["run_status"] == "cancelled"
    audit = (await api.admin.get("/api/ingest/audit", params={"target_id": run_id})).json()
    assert [row["action"] for row in audit["items"]] == ["run.cancelled", "run.triggered"]


async def test_a_queued_run_is_cancelled_at_once_and_can_be_retried(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("census-cancel-q")
    source.copy("census-c01-1920-2015", stats_data_id)
    # Queued without its task, so that no worker starts it before the cancel.
    async with api.runtime.sessions() as session:
        queued = await runs.create(session, stats_data_id, trigger="api")
        await session.commit()

    asked = await api.admin.post(f"/api/ingest/runs/{queued.id}/cancel")

    assert asked.status_code == 202, asked.text
    body = asked.json()
    assert (body["status"], body["phase"], body["error"]["code"]) == (
        "cancelled",
        "done",
        "cancelled",
    )
    assert body["finished_at"] is not None
    retried = await api.admin.post(f"/api/ingest/runs/{queued.id}/retry")
    assert retried.status_code == 202, retried.text
    assert (await api.wait(retried.json()["id"]))["status"] == "succeeded"
    missing = await api.admin.post("/api/ingest/runs/00000000-0000-4000-8000-000000000000/cancel")
    assert_problem(missing, 404, "run-not-found")
