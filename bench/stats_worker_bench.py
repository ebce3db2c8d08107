"""Benchmark, not a test: one stats worker process, straight (no gateway): every documented GET
route uncached with one client, then the dashboards' reads cached under load (issue 15: p95 <=
100 ms uncached; >= 2,000 cached reads per second per worker process).

``make bench-stats``, or ``.venv/bin/pytest bench/stats_worker_bench.py -q -s -p no:cacheprovider``.
It applies the recorded tables (those of the stats tests' ``loaded`` fixture) to this run's
database through the bus consumer, then runs ``bench/stats_worker.py --uncached`` on ``URLS``: one
uvicorn process, each URL asked ``BENCH_TIMES`` times (default 3) with its Redis entries deleted
before each, worker CPU from /proc (schedstat, ns) and wall time; then ``bench/stats_worker.py``
with wrk on its default reads (KPI, a population series, a comparison, the GeoJSON layer): the
requests per CPU-second of the worker, what one process sustains on a core. The figures go to
``.run/bench/stats-worker.json`` (``chiiki_devstack.bench_results``). ``BENCH_SAVE=DIR`` keeps
every body and its ETag, to compare answers before and after a change (``diff -r``);
``BENCH_PROFILE=FILE`` records py-spy's samples of the worker over the uncached run.
``BENCH_URLS`` (comma-separated indices) picks a subset. Warming on apply is off, so it takes
no CPU meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from chiiki_devstack.bench_results import write_result
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import Platform, import_test_helper, serve_app
from chiiki_shared.db import session_scope

M, P = "level=municipality", "level=prefecture"
POP, SHARE = "population.total", "population.aged_65_plus_share"
LIV = import_test_helper(REPO_ROOT / "bench" / "stats_bench.py").LIVABILITY
URLS = (
    "/api/regions?level=prefecture",
    "/api/regions?level=municipality&limit=1000",
    "/api/regions/13000",
    "/api/boundaries/municipality",
    "/api/boundaries/ward",
    "/api/indicators",
    f"/api/indicators/{POP}",
    f"/api/indicators/{POP}/cross-section?{P}",
    f"/api/indicators/{POP}/cross-section?{M}",
    f"/api/indicators/{POP}/cross-section?{P}&format=geojson",
    f"/api/indicators/{POP}/cross-section?{M}&format=geojson",
    f"/api/indicators/{POP}/cross-section?{M}&format=topojson",
    "/api/population/13000",
    "/api/population/13101",
    "/api/population/00000/pyramid",
    f"/api/population?{P}",
    f"/api/population?{M}",
    f"/api/population?{M}&format=csv",
    f"/api/livability?{P}",
    f"/api/livability?{M}",
    f"/api/livability?{M}&format=geojson",
    "/api/livability/13000",
    "/api/livability/components",
    f"/api/comparison?regions=13000,27000&indicators={POP}",
    "/api/kpi?region=13000",
    "/api/kpi?region=13101",
    f"/api/statistics/summary?indicator={POP}&{P}",
    f"/api/statistics/summary?indicator={POP}&{M}",
    f"/api/statistics/correlation?x={SHARE}&y=vital.crude_birth_rate&{P}",
    f"/api/statistics/correlation?x={SHARE}&y=vital.crude_birth_rate&{M}",
    f"/api/statistics/growth?indicator={POP}&region=13000",
    f"/api/statistics/moving-average?indicator={POP}&region=13000",
    "/api/datasets",
    "/api/datasets/census-c01-1920-2015",
    "/api/datasets/census-c01-1920-2015/observations?limit=1000",
    *(  # the mixed load's misses (bench/mixed_load_bench.py): each a query never asked before
        f"/api/kpi?region={region}&sparkline={points}&lang={lang}"
        for region, points, lang in (("01000", 7, "en"), ("02000", 8, "ja"), ("01000", 9, "ja"))
    ),
    *(
        "/api/livability?period=2020&weights="
        + ",".join(f"{c}:{w}" for c, w in zip(LIV, ws, strict=True))
        for ws in ((1, 2, 1, 1, 1, 1), (2, 1, 3, 1, 1, 1), (1, 1, 1, 4, 2, 1))
    ),
    *(
        f"/api/comparison?indicators={POP},vital.births&regions={regions}"
        for regions in ("01000,02000,03000", "01000,02000,04000", "05000,06000,07000")
    ),
    "/api/kpi?region=27100",  # a municipality whose cards the worker did not prime
    # bench/stats_bench.py's uncached population series and comparisons through the gateway
    *(
        f"/api/population/{region}?lang={lang}"
        for region, lang in (("01000", "ja"), ("02000", "en"))
    ),
    *(
        f"/api/comparison?regions={regions},13000&indicators={POP},{SHARE},vital.births"
        for regions in ("02000,14000", "03000,15000")
    ),
)


async def apply_recorded_tables(sessions: Any) -> None:
    from chiiki_stats import consumer

    estat: Any = import_test_helper(REPO_ROOT / "services/stats/tests/estat_bus.py")
    for batches, publish in estat.all_messages():
        for batch in batches:
            async with session_scope(sessions) as session:
                await consumer.stage_batch(session, batch)
        async with session_scope(sessions) as session:
            await consumer.publish_version(session, publish)


def chosen_urls(command: list[str]) -> list[str]:
    """The uncached run's URLs (``BENCH_URLS`` picks some); the cached run's are its defaults."""
    if "--uncached" not in command:
        return []
    picked = os.environ.get("BENCH_URLS")
    if not picked:
        return list(URLS)
    return [URLS[int(index)] for index in picked.split(",")]


async def test_one_stats_worker(platform: Platform, tmp_path: Path) -> None:
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    os.environ["STATS_WARM_ON_APPLY"] = "false"
    script = Path(__file__).with_name("stats_worker.py")
    uncached = [sys.executable, str(script), "--uncached", os.environ.get("BENCH_TIMES", "3")]
    uncached += ["--json", str(tmp_path / "uncached.json")]
    if os.environ.get("BENCH_SAVE"):
        uncached += ["--save", os.environ["BENCH_SAVE"]]
    if os.environ.get("BENCH_PROFILE"):
        uncached += ["--profile", os.environ["BENCH_PROFILE"]]
    cached = [sys.executable, str(script), "--json", str(tmp_path / "cached.json")]
    cached += ["--seconds", os.environ.get("BENCH_SECONDS", "8")]
    # The worker primes its memory before it is ready (its start is what is measured); the app
    # that applies the tables does not, so it takes no CPU meanwhile.
    app = create_app(StatsSettings(anonymous_read=True, prime_memory=False))
    async with serve_app(app):
        await apply_recorded_tables(app.state.runtime.sessions)
        for command in (uncached, cached) if shutil.which("wrk") else (uncached,):
            measured = await asyncio.create_subprocess_exec(*command, *chosen_urls(command))
            assert await measured.wait() == 0
    figures = {
        name: json.loads((tmp_path / f"{name}.json").read_text())
        for name in ("uncached", "cached")
        if (tmp_path / f"{name}.json").exists()
    }
    if "memory" in figures.get("uncached", {}):  # the worker's RSS, not a route's figures
        figures["memory"] = figures["uncached"].pop("memory")
    write_result("stats-worker", figures)
