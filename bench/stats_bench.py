"""Benchmark, not a test: stats queries through the gateway, uncached, cached and revalidated.

Run with ``make bench-stats`` (or ``make bench``). It starts the real stack (like ``tests/e2e``),
publishes the four recorded tables on the bus as ingest does, and measures through nginx with an
access token:

- uncached: every request a query not asked before (another region, year, weight or language),
  so each is computed from Postgres and then stored (``X-Cache: MISS``, checked); one client, one
  request at a time, so the latencies are the service's work plus the gateway's;
- cached: the same queries again, spread over ``BENCH_CONNECTIONS`` connections by ``wrk`` (a Lua
  script rotates through them), answered from Redis;
- revalidated: ``If-None-Match`` with the current ETag, answered 304 without a body;
- map sizes: the whole-country municipal layer (and Tokyo's, and the wards) as GeoJSON and
  TopoJSON, bytes on the wire with ``Accept-Encoding: gzip`` (the service compresses; the
  gateway passes the body through) against the 400 kB budget, and the uncached time to build it.

Percentiles come from wrk's own histogram when wrk is installed, else from a small asyncio client
(less precise: it shares the CPU with what it measures). Numbers depend on the machine: compare
rows of one run, not runs on different machines. The stack runs one uvicorn process for stats, as
``make up`` does.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from types import ModuleType

import httpx

from chiiki_devstack.bench_results import write_result
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import import_test_helper
from chiiki_devstack.stack import Stack
from chiiki_shared.bus import create_celery_app
from chiiki_stats.config import StatsSettings

DURATION_SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
VARIANTS = int(os.environ.get("BENCH_VARIANTS", "30"))
TABLES = ("0003445099", "census-c01-1920-2015", "ssdse-b-2023", "ssdse-a-2023")
PREFECTURES = [f"{n:02d}000" for n in range(1, 48)]
RATES = ("vital.crude_birth_rate", "population.aged_0_14_share", "migration.net_rate")
LIVABILITY = (
    "labour.job_openings_ratio",
    "health.hospitals_per_100k",
    "health.clinics_per_100k",
    "education.pupils_per_elementary_teacher",
    "environment.waste_per_capita_per_day",
    "environment.recycling_rate",
)


def _variants(count: int) -> dict[str, list[str]]:
    """Per kind of query, ``count`` distinct URLs (nothing cached twice)."""
    years = list(range(2009, 2021))
    municipal = ["01100", "04100", "11100", "13101", "13112", "14100", "23100", "26100", "27100"]
    municipal += ["28100", "34100", "40100", "40130", "47201", "13201", "22100", "12100", "15100"]
    return {
        "population series (1 prefecture, 15 indicators, all years)": [
            f"/api/population/{PREFECTURES[i % 47]}?lang={('ja', 'en')[i // 47 % 2]}"
            for i in range(count)
        ],
        "population cross-section (47 prefectures, 15 indicators)": [
            f"/api/population?level=prefecture&period={years[i % 12]}"
            f"&lang={('ja', 'en')[i // 12 % 2]}&format={('json', 'csv', 'chartjs')[i // 24 % 3]}"
            for i in range(count)
        ],
        "municipal cross-section (all 1,741, or one prefecture's)": [
            "/api/population?level=municipality&period=2020&indicators=population.total"
            f"&lang={('ja', 'en')[i % 2]}&format={('json', 'csv', 'chartjs')[i // 2 % 3]}"
            + (f"&parent={PREFECTURES[i % 47]}" if i >= 6 else "")
            for i in range(count)
        ],
        "livability index, slider weights (47 prefectures)": [
            "/api/livability?period=2020&weights="
            + ",".join(f"{code}:{1 + (i >> k & 1)}" for k, code in enumerate(LIVABILITY))
            + f"&format={('json', 'geojson')[i % 2]}"
            for i in range(count)
        ],
        "comparison (3 regions x 3 indicators + nation, all years)": [
            f"/api/comparison?regions={PREFECTURES[i % 47]},{PREFECTURES[(i + 12) % 47]},13000"
            "&indicators=population.total,population.aged_65_plus_share,vital.births"
            f"&lang={('ja', 'en')[i // 47 % 2]}"
            for i in range(count)
        ],
        "kpi (8 cards with ranks)": [
            # 11 and up: the default length (10) is the answer warmed on apply, a hit
            f"/api/kpi?region={(PREFECTURES + municipal)[i % 65]}&sparkline={11 + i // 65}"
            for i in range(count)
        ],
        "statistics summary + correlation": [
            (
                f"/api/statistics/summary?indicator={RATES[i // 2 % 3]}&period={years[i // 6 % 12]}"
                if i % 2 == 0
                else f"/api/statistics/correlation?x=population.aged_65_plus_share"
                f"&y={RATES[i // 2 % 3]}&period={years[i // 6 % 12]}"
            )
            for i in range(count)
        ],
        "observations page (1,000 cells)": [
            f"/api/datasets/ssdse-a-2023/observations?limit=1000&cat01=A1101,A1301,A1303"
            f"&area={','.join(code for code in municipal[: (i % 18) + 1])}&format="
            + ("json", "csv")[i // 18 % 2]
            for i in range(count)
        ],
    }


def test_stats_benchmark(stack: Stack, admin_headers: Callable[[], dict[str, str]]) -> None:
    gateway = stack.settings.gateway_url
    _publish_tables(gateway, admin_headers)
    token = admin_headers()["Authorization"].removeprefix("Bearer ")
    families = _variants(VARIANTS)
    uncached: dict[str, tuple[float, float, float, float]] = {}
    with httpx.Client(base_url=gateway, timeout=30) as client:
        for name, urls in families.items():
            uncached[name] = _sequential(client, urls, admin_headers)
    every_url = [url for urls in families.values() for url in urls]
    probe = families["population series (1 prefecture, 15 indicators, all years)"][0]
    with httpx.Client(base_url=gateway, timeout=30) as client:
        etag = client.get(probe, headers=admin_headers()).headers["etag"]
        sizes = [len(client.get(url, headers=admin_headers()).content) for url in every_url]
    with httpx.Client(base_url=gateway, timeout=60) as client:
        maps = _map_sizes(client, admin_headers)
    cached_alone = _load(gateway, every_url, token, connections=1)
    cached_one = _load(gateway, [probe], token)
    cached = _load(gateway, every_url, token)
    revalidated = _load(gateway, [probe], token, {"If-None-Match": etag})

    print("\n\n== Chiiki stats benchmark (through the gateway, with a token) ==")
    print(f"uncached: {VARIANTS} distinct queries per row, one at a time")
    print(f"  {'query':<58} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}")
    for name, (p50, p95, p99, rps) in uncached.items():
        print(f"  {name:<58} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {rps:>7.1f}")
    print(
        f"\ncached / revalidated: {_tool()}, {CONNECTIONS} connections unless said, "
        f"{DURATION_SECONDS} s each; "
        f"bodies {statistics.median(sizes) / 1000:.0f} kB median, {max(sizes) / 1000:.0f} kB max"
    )
    print(f"  {'':<58} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7}")
    for name, (p50, p95, p99, rps) in (
        (f"cached, all {len(every_url)} queries, 1 connection", cached_alone),
        (f"cached, one query ({sizes[0] / 1000:.0f} kB)", cached_one),
        (f"cached, rotating over the {len(every_url)} queries above", cached),
        ("revalidated, one query (If-None-Match -> 304)", revalidated),
    ):
        print(f"  {name:<58} {p50:>8.2f} {p95:>8.2f} {p99:>8.2f} {rps:>7.0f}")
    print("\nmap layers (population.total, 2020), bytes on the wire with gzip:")
    print(f"  {'layer':<58} {'raw kB':>8} {'gzip kB':>8} {'ms':>8}")
    for name, (raw, wire, ms) in maps.items():
        print(f"  {name:<58} {raw / 1000:>8.0f} {wire / 1000:>8.0f} {ms:>8.0f}")
    results = {
        "maps": maps,
        "uncached": uncached,
        "cached_alone": cached_alone,
        "cached_one": cached_one,
        "cached": cached,
        "revalidated": revalidated,
        "tool": _tool(),
        "connections": CONNECTIONS,
    }
    write_result("stats", results)


def _helper() -> ModuleType:
    return import_test_helper(REPO_ROOT / "services" / "stats" / "tests" / "estat_bus.py")


def _publish_tables(gateway: str, headers: Callable[[], dict[str, str]]) -> None:
    """The recorded tables, sent on the bus as ingest sends them; waits until stats serves them."""
    estat = _helper()
    bus = create_celery_app(StatsSettings())
    hashes = {}
    for stats_data_id in TABLES:
        batches, payload = estat.table(stats_data_id).messages()
        for batch in batches:
            bus.send_task("stats.apply_batch", args=[batch])
        bus.send_task("stats.publish_version", args=[payload])
        hashes[stats_data_id] = payload["content_hash"]
    deadline = time.monotonic() + 180
    with httpx.Client(base_url=gateway, timeout=10) as client:
        while True:
            body = client.get("/api/datasets", headers=headers()).json()
            current = {item["id"]: item["content_hash"] for item in body.get("items", [])}
            if all(current.get(key) == value for key, value in hashes.items()):
                return
            assert time.monotonic() < deadline, "the tables were not applied"
            time.sleep(0.5)


MAP_BUDGET_BYTES = 400_000
MAP_LAYERS = {
    "municipalities, whole country, geojson": "level=municipality&format=geojson",
    "municipalities, whole country, topojson": "level=municipality&format=topojson",
    "municipalities of Tokyo (parent=13000), geojson": "level=municipality&parent=13000"
    "&format=geojson",
    "designated cities' wards, topojson": "level=ward&format=topojson",
    "prefectures, geojson": "level=prefecture&format=geojson",
}


def _map_sizes(
    client: httpx.Client, headers: Callable[[], dict[str, str]]
) -> dict[str, tuple[int, int, float]]:
    """Per map layer: the body's size, its gzip size on the wire and the uncached time (ms)."""
    sizes = {}
    for name, query in MAP_LAYERS.items():
        url = f"/api/population?period=2020&indicators=population.total&{query}"
        begun = time.perf_counter()
        with client.stream("GET", url, headers={**headers(), "Accept-Encoding": "gzip"}) as r:
            body = r.read()
            wire = r.num_bytes_downloaded
        elapsed = (time.perf_counter() - begun) * 1000
        assert r.status_code == 200, (url, body[:300])
        assert r.headers.get("content-encoding") == "gzip", url
        sizes[name] = (len(body), wire, elapsed)
    for name in (
        "municipalities, whole country, geojson",
        "municipalities, whole country, topojson",
    ):
        assert sizes[name][1] <= MAP_BUDGET_BYTES, (name, sizes[name])
    return sizes


def _sequential(
    client: httpx.Client, urls: list[str], headers: Callable[[], dict[str, str]]
) -> tuple[float, float, float, float]:
    timings = []
    started = time.perf_counter()
    for url in urls:
        begun = time.perf_counter()
        response = client.get(url, headers=headers())
        timings.append((time.perf_counter() - begun) * 1000)
        assert response.status_code == 200, (url, response.text[:300])
        assert response.headers["x-cache"] == "MISS", url
    elapsed = time.perf_counter() - started
    return (*_percentiles(timings), len(urls) / elapsed)


def _percentiles(timings: list[float]) -> tuple[float, float, float]:
    ordered = sorted(timings)

    def at(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]

    return statistics.median(ordered), at(0.95), at(0.99)


def _tool() -> str:
    return "wrk" if shutil.which("wrk") else "asyncio client (install wrk for better numbers)"


def _load(
    base: str,
    urls: list[str],
    token: str,
    extra: dict[str, str] | None = None,
    connections: int = CONNECTIONS,
) -> tuple[float, float, float, float]:
    """p50, p95, p99 in milliseconds and requests per second."""
    headers = {"Authorization": f"Bearer {token}", **(extra or {})}
    if shutil.which("wrk"):
        return _wrk(base, urls, headers, connections)
    return asyncio.run(_python_load(base, urls, headers, connections))


_WRK_SCRIPT = """
local paths = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%f %%f %%f %%d %%d\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def _wrk(
    base: str, urls: list[str], headers: dict[str, str], connections: int
) -> tuple[float, float, float, float]:
    paths = ", ".join(json.dumps(url) for url in urls)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_WRK_SCRIPT % paths)
    try:
        threads = str(min(2, connections))
        command = ["wrk", "-t", threads, "-c", str(connections), "-d", f"{DURATION_SECONDS}s"]
        command += ["-s", script.name]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        out = subprocess.run(  # noqa: S603 - a fixed command
            [*command, base], capture_output=True, text=True, check=True
        ).stdout
    finally:
        os.unlink(script.name)
    match = re.search(r"RESULT ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+)", out)
    assert match, out
    p50, p95, p99 = (float(match.group(n)) for n in (1, 2, 3))
    requests, errors = int(match.group(4)), int(match.group(5))
    assert errors == 0, out
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    assert requests > 0
    return p50, p95, p99, rps


async def _python_load(
    base: str, urls: list[str], headers: dict[str, str], connections: int
) -> tuple[float, float, float, float]:
    timings: list[float] = []
    deadline = time.monotonic() + DURATION_SECONDS

    async def worker(client: httpx.AsyncClient, offset: int) -> None:
        index = offset
        while time.monotonic() < deadline:
            begun = time.perf_counter()
            response = await client.get(urls[index % len(urls)], headers=headers)
            timings.append((time.perf_counter() - begun) * 1000)
            assert response.status_code in (200, 304)
            index += connections

    started = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        await asyncio.gather(*(worker(client, n) for n in range(connections)))
    elapsed = time.perf_counter() - started
    return (*_percentiles(timings), len(timings) / elapsed)
