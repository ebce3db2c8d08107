"""Ingestion on the real stack behind the gateway: the replay server `make up` starts, the admin
API, a catalog table from e-Stat pages into stats (cell by cell), the demo-data load `make up`
queues, and a table missing at the source failing its run without blocking anything."""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from chiiki_devstack.stack import REPLAY, REPLAY_RECORDINGS, Stack

pytestmark = pytest.mark.e2e

CENSUS = "census-c01-1920-2015"
# The census history tables `make up` also loads (about 10,800 cells in all).
HISTORY_TABLES = (
    "census-0003410379",
    "census-0003410380",
    "census-2015-on-2020-areas",
    "census-japanese-2010-2015",
)


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=15) as client:
        yield client


def wait_for_run(
    gateway: httpx.Client, headers: Callable[[], dict[str, str]], run_id: str, within: float = 90
) -> dict[str, Any]:
    deadline = time.monotonic() + within
    while True:
        run = gateway.get(f"/api/ingest/runs/{run_id}", headers=headers()).json()
        if run["status"] in ("succeeded", "failed", "blocked"):
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        time.sleep(0.3)


def recorded_cells(stats_data_id: str) -> dict[tuple[str, ...], tuple[Any, Any]]:
    """(series codes..., area, time) -> (value, mark), read straight from the recorded table."""
    path = Path(REPLAY_RECORDINGS) / "tables" / f"{stats_data_id}.json.gz"
    data = json.loads(gzip.decompress(path.read_bytes()))["GET_STATS_DATA"]["STATISTICAL_DATA"]
    cells = {}
    for value in data["DATA_INF"]["VALUE"]:
        codes = {k[1:]: v for k, v in value.items() if k.startswith("@") and k != "@unit"}
        series = tuple(f"{d}={c}" for d, c in sorted(codes.items()) if d not in ("area", "time"))
        raw = value["$"]
        numeric = raw.lstrip("-").replace(".", "", 1).isdigit()
        cells[(*series, codes["area"], codes["time"])] = (
            Decimal(raw) if numeric else None,
            None if numeric else raw,
        )
    return cells


def stats_cells(stats_data_id: str) -> dict[tuple[str, ...], tuple[Any, Any]]:
    query = """
        SELECT s.key, o.region_code, o.time_code, o.value, o.mark
        FROM stats.observations o JOIN stats.series s ON s.id = o.series_id
        WHERE s.dataset_id = %s
    """
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        return {
            (*(f"{d}={c}" for d, c in sorted(key.items())), region, period): (value, mark)
            for key, region, period, value, mark in connection.execute(query, (stats_data_id,))
        }


def runs_of_demo_tables(gateway: httpx.Client, headers: dict[str, str]) -> dict[str, int]:
    return {
        table: len(
            gateway.get(
                "/api/ingest/runs", params={"stats_data_id": table, "limit": 200}, headers=headers
            ).json()["items"]
        )
        for table in (CENSUS, "0003445099", "ssdse-b-2023", "ssdse-a-2023", *HISTORY_TABLES)
    }


def test_the_stack_reads_e_stat_from_its_replay_server(stack: Stack) -> None:
    assert stack.table.running(REPLAY) is not None
    port = int(stack.settings.replay_port_file.read_text())
    health = httpx.get(f"http://127.0.0.1:{port}/_replay/health", timeout=5)
    assert health.json() == {"status": "ok"}


def test_the_admin_api_needs_an_admin(gateway: httpx.Client) -> None:
    response = gateway.get("/api/ingest/runs")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_catalog_table_reaches_stats_through_the_gateway(
    gateway: httpx.Client, admin_headers
) -> None:
    response = gateway.post(
        "/api/ingest/runs", json={"stats_data_id": CENSUS}, headers=admin_headers()
    )
    assert response.status_code in (202, 409), response.text
    run_id = (
        response.json()["id"] if response.status_code == 202 else response.json()["active_run_id"]
    )

    run = wait_for_run(gateway, admin_headers, run_id)

    assert run["status"] == "succeeded", run
    assert run["counts"]["cells"] == 2880
    assert stats_cells(CENSUS) == recorded_cells(CENSUS)
    listed = gateway.get(
        "/api/ingest/runs", params={"stats_data_id": CENSUS}, headers=admin_headers()
    ).json()
    assert run_id in [item["id"] for item in listed["items"]]


def test_the_schedule_and_run_now_through_the_gateway(gateway: httpx.Client, admin_headers) -> None:
    response = gateway.get("/api/ingest/schedule", params={"limit": 200}, headers=admin_headers())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next"] is None
    by_id = {item["stats_data_id"]: item for item in body["items"]}
    assert {CENSUS, "0003445099", "ssdse-b-2023", *HISTORY_TABLES} <= set(by_id)
    census = by_id[CENSUS]
    assert (census["schedule"], census["cron"], census["time_zone"]) == (
        "daily",
        "0 3 * * *",
        "Asia/Tokyo",
    )
    assert census["run_now"] == f"/api/ingest/schedule/{CENSUS}/run"

    response = gateway.post(census["run_now"], headers=admin_headers())
    assert response.status_code in (202, 409), response.text
    if response.status_code == 202:
        assert response.json()["trigger"] == "run-now"
        run = wait_for_run(gateway, admin_headers, response.json()["id"])
        assert run["status"] == "succeeded", run
    else:
        assert response.json()["code"] == "active-run-exists"


def test_a_table_missing_at_the_source_fails_without_blocking_anything(
    gateway: httpx.Client, admin_headers, stack: Stack
) -> None:
    response = gateway.post(
        "/api/ingest/runs", json={"stats_data_id": "0000000002"}, headers=admin_headers()
    )
    assert response.status_code == 202

    run = wait_for_run(gateway, admin_headers, response.json()["id"])

    assert run["status"] == "failed"
    assert run["error"]["code"] == "estat-request"
    assert gateway.get("/api/health").json()["status"] == "ok"
    log = (stack.settings.log_dir / "worker-ingest.log").read_text()
    failures = [json.loads(line) for line in log.splitlines() if "ingest.run_failed" in line]
    assert any(line["run_id"] == run["id"] and line["level"] == "error" for line in failures)
    assert "chiiki-dev-replay" not in log  # the app id never reaches a log line


def test_make_up_loads_the_catalog_in_the_background(gateway: httpx.Client, admin_headers) -> None:
    # The municipal table (218,000 cells) is left out here to keep the suite short; `make bench`
    # runs it through the same pipeline.
    headers = admin_headers()
    disabled = gateway.patch(
        "/api/ingest/catalog/ssdse-a-2023", json={"enabled": False}, headers=headers
    )
    assert disabled.status_code == 200
    try:
        stack = Stack.from_env()
        stack.queue_catalog_ingestion(dict(os.environ))  # what `make up` sends once healthy
        deadline = time.monotonic() + 120
        while True:
            catalog = gateway.get("/api/ingest/catalog", headers=admin_headers()).json()["items"]
            versions = {
                e["stats_data_id"]: e["current"]["version"] for e in catalog if e["enabled"]
            }
            if all(
                versions.get(t) for t in (CENSUS, "0003445099", "ssdse-b-2023", *HISTORY_TABLES)
            ):
                break
            assert time.monotonic() < deadline, versions
            time.sleep(0.5)
        # `make up` again: these tables have a version, so no run of theirs is queued.
        before = runs_of_demo_tables(gateway, admin_headers())
        stack.queue_catalog_ingestion(dict(os.environ))
        time.sleep(2)
        assert runs_of_demo_tables(gateway, admin_headers()) == before
    finally:
        gateway.patch(
            "/api/ingest/catalog/ssdse-a-2023", json={"enabled": True}, headers=admin_headers()
        )
    assert stats_cells("0003445099") == recorded_cells("0003445099")
    for table in HISTORY_TABLES:
        assert stats_cells(table) == recorded_cells(table), table
