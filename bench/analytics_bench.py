"""Benchmark, not a test: the 47-prefecture forecast of one indicator, and stored-forecast reads.

Run with ``make bench-analytics`` (part of ``make bench``). It starts the real stack (like
``tests/e2e``), publishes SSDSE-B-2023 and the census table on the bus as ingest does, and
measures:

- the 47-prefecture forecast of ``population.total`` (its age groups included): the models alone,
  in-process on the series stats serves; then the whole path through the stack, a
  ``regional_forecast`` job from ``POST /api/analytics/jobs`` to ``succeeded`` (stats reads, the
  worker's computation, the stored result);
- the stored forecasts' read through the gateway (``GET /api/forecasts/prefectures``, which
  never fits a model): latency percentiles and throughput at ``BENCH_CONNECTIONS`` concurrent
  clients (and one) for ``BENCH_SECONDS`` each.

Numbers are printed; they depend on the machine (and on what else runs on it).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from types import ModuleType

import httpx

from chiiki_analytics.data import Panel, load_panel
from chiiki_analytics.services.forecasts import forecast_all
from chiiki_analytics.stats_client import StatsClient
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import import_test_helper
from chiiki_devstack.stack import Stack
from chiiki_shared.bus import create_celery_app
from chiiki_stats.config import StatsSettings

SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
INDICATOR = "population.total"
MAP = "/api/forecasts/prefectures"


def test_analytics_benchmark(stack: Stack, admin_headers: Callable[[], dict[str, str]]) -> None:
    _publish_data()
    rows: list[tuple[str, str]] = []
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=60) as gateway:
        _wait_for_stored(gateway, admin_headers)  # the data have arrived and been modelled
        panel = asyncio.run(_panel(stack, admin_headers()))
        rows.append(_models_alone(panel))
        rows.append(_job_through_the_stack(gateway, admin_headers))
    for connections in (1, CONNECTIONS):
        rows.extend(
            asyncio.run(_stored_reads(stack.settings.gateway_url, admin_headers(), connections))
        )
    width = max(len(name) for name, _ in rows)
    print("\n\nanalytics benchmark")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")


def _feed() -> ModuleType:
    return import_test_helper(REPO_ROOT / "services" / "analytics" / "tests" / "stats_feed.py")


def _publish_data() -> None:
    feed, bus = _feed(), create_celery_app(StatsSettings())
    for table in ("census-c01-1920-2015", "ssdse-b-2023"):
        batches, payload = feed.messages(table)
        for batch in batches:
            bus.send_task("stats.apply_batch", args=[batch])
        bus.send_task("stats.publish_version", args=[payload])


async def _panel(stack: Stack, headers: dict[str, str]) -> Panel:
    """The series the worker models, read from stats the way the worker reads them."""
    client = StatsClient.connect(
        stack.settings.service_url("stats"), timeout=60, authorization=headers["Authorization"]
    )
    try:
        return await load_panel(client, INDICATOR, None)
    finally:
        await client.aclose()


def _models_alone(panel: Panel) -> tuple[str, str]:
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        forecast_all(panel, horizon=10)
        timings.append(time.perf_counter() - started)
    return (
        "47-prefecture forecast, models only (in-process)",
        f"median {statistics.median(timings) * 1000:.0f} ms over {ROUNDS} rounds "
        f"({statistics.median(timings) / 47 * 1000:.1f} ms per series)",
    )


def _run_job(gateway: httpx.Client, headers: Callable[[], dict[str, str]], params: dict) -> dict:
    response = gateway.post("/api/analytics/jobs", json=params, headers=headers())
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    deadline = time.monotonic() + 300
    while True:
        job = gateway.get(f"/api/analytics/jobs/{job_id}", headers=headers()).json()
        if job["status"] in ("succeeded", "failed"):
            assert job["status"] == "succeeded", job["error"]
            return job
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.05)


def _job_through_the_stack(
    gateway: httpx.Client, headers: Callable[[], dict[str, str]]
) -> tuple[str, str]:
    timings = []
    for horizon in range(1, ROUNDS + 1):  # distinct parameters: a new job each round
        params = {"kind": "regional_forecast", "indicator": INDICATOR, "horizon": horizon}
        started = time.perf_counter()
        _run_job(gateway, headers, params)
        timings.append(time.perf_counter() - started)
    return (
        "47-prefecture forecast as a job through the stack",
        f"median {statistics.median(timings):.2f} s, max {max(timings):.2f} s "
        f"over {ROUNDS} jobs (POST to succeeded, age groups included)",
    )


def _wait_for_stored(gateway: httpx.Client, headers: Callable[[], dict[str, str]]) -> None:
    deadline = time.monotonic() + 300
    params = {"indicator": INDICATOR, "period": 2025}
    while gateway.get(MAP, params=params, headers=headers()).status_code != 200:
        assert time.monotonic() < deadline, "the stored forecasts never appeared"
        time.sleep(0.5)


async def _stored_reads(
    base_url: str, headers: dict[str, str], connections: int
) -> list[tuple[str, str]]:
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + SECONDS
    params = {"indicator": INDICATOR, "period": 2025}
    limits = httpx.Limits(max_connections=connections)

    async def client_loop(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < stop:
            started = time.perf_counter()
            response = await http.get(MAP, params=params, headers=headers)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(http) for _ in range(connections)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return [
        (
            "stored-forecast read through the gateway",
            f"{len(latencies) / elapsed:.0f} req/s with {connections} connection(s), "
            f"{len(latencies)} requests, {errors} not 200",
        ),
        (
            "  latency",
            f"p50 {percentile(0.5):.1f} ms, p95 {percentile(0.95):.1f} ms, "
            f"p99 {percentile(0.99):.1f} ms",
        ),
    ]
