"""A Celery worker killed mid-run on the real stack: `make up` starts it again, the recovery sweep
re-sends the run once its lease has run out, and the run completes with exactly the source's
cells, within a minute of the kill."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from chiiki_devstack.pytest_plugin import (
    E2E_ADMIN_EMAIL,
    E2E_ADMIN_PASSWORD,
    import_test_helper,
    separate_stack,
)
from chiiki_devstack.stack import Stack

pytestmark = pytest.mark.e2e

ingest_e2e = import_test_helper(Path(__file__).with_name("test_ingest_pipeline.py"))
CENSUS = ingest_e2e.CENSUS  # 2,880 cells
PAGE_SIZE = 1000  # three pages
RECOVERY_DEADLINE_SECONDS = 60


def replay_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.settings.replay_port_file.read_text().strip()}"


@contextmanager
def admin_client(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=15) as client:
        login = client.post(
            "/api/auth/login", json={"email": E2E_ADMIN_EMAIL, "password": E2E_ADMIN_PASSWORD}
        )
        login.raise_for_status()
        client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        yield client


def wait_until_requested(stack: Stack, start_position: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while True:
        entries = httpx.get(f"{replay_url(stack)}/_replay/requests", timeout=5).json()["requests"]
        if any(
            e["params"].get("statsDataId") == CENSUS
            and e["params"].get("startPosition") == str(start_position)
            for e in entries
        ):
            return
        assert time.monotonic() < deadline, f"page at {start_position} never requested"
        time.sleep(0.1)


def test_a_run_whose_worker_was_killed_completes_within_a_minute(platform) -> None:
    with separate_stack(platform, INGEST_PAGE_SIZE=str(PAGE_SIZE)) as own, admin_client(own) as api:
        # The second page hangs (until the worker hangs up), so the worker dies mid-fetch.
        second = PAGE_SIZE + 1
        fault = {"kind": "latency", "seconds": 120, "statsDataId": CENSUS, "startPosition": second}
        httpx.post(f"{replay_url(own)}/_replay/faults", json=fault, timeout=5).raise_for_status()
        response = api.post("/api/ingest/runs", json={"stats_data_id": CENSUS})
        assert response.status_code == 202, response.text
        run_id = response.json()["id"]
        wait_until_requested(own, second)

        worker = own.table.running("worker-ingest")
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its pool process, at once
        killed_at = time.monotonic()
        while not own.table.crashed("worker-ingest"):
            assert time.monotonic() - killed_at < 10, "the killed worker still looks alive"
            time.sleep(0.05)
        assert own.up() == ["worker-ingest"]
        restarted_in = time.monotonic() - killed_at
        while True:
            run = api.get(f"/api/ingest/runs/{run_id}").json()
            if run["status"] in ("succeeded", "failed", "blocked"):
                break
            elapsed = time.monotonic() - killed_at
            assert elapsed < RECOVERY_DEADLINE_SECONDS, f"still {run['phase']} after {elapsed:.0f}s"
            time.sleep(0.2)
        recovered_in = time.monotonic() - killed_at

        assert (run["status"], run["attempt"]) == ("succeeded", 2), run
        assert recovered_in < RECOVERY_DEADLINE_SECONDS
        assert run["counts"]["cells"] == 2880
        assert run["counts"]["pages"] == 3
        assert ingest_e2e.stats_cells(CENSUS) == ingest_e2e.recorded_cells(CENSUS)
        print(
            f"worker back {restarted_in:.1f}s and run {run_id} completed {recovered_in:.1f}s"
            " after the worker was killed"
        )
