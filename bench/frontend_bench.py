"""Benchmark, not a test: the dashboard's first load over the gateway (issue 10's budgets).

Run with ``make bench`` (or ``make bench-frontend`` against the stack of ``make up``). It starts
the real stack with the dashboard built into the gateway, publishes the recorded tables as
``bench/stats_bench.py`` does, then measures with Node.js and Debian's Chromium:

- the JavaScript the first page loads, gzip-compressed (``npm run budget``; budget 300 kB);
- the time from navigation to the KPI cards' numbers in the page, cold and warm
  (``frontend/bench/time-to-kpi.mjs``, ``RUNS`` of each; budget 1.5 s cold).

The figures go to ``.run/bench/frontend.json`` (``chiiki_devstack.bench_results``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable

import pytest

from chiiki_devstack.bench_results import write_result
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import import_test_helper

FRONTEND = REPO_ROOT / "frontend"
RUNS = os.environ.get("RUNS", "5")


def test_frontend_benchmark(
    frontend_gateway_url: str, admin_headers: Callable[[], dict[str, str]]
) -> None:
    if not shutil.which("node") or not (FRONTEND / "node_modules").exists():
        pytest.skip("Node.js and frontend/node_modules (npm ci) are needed")
    stats_bench = import_test_helper(REPO_ROOT / "bench" / "stats_bench.py")
    stats_bench._publish_tables(frontend_gateway_url, admin_headers)
    first_load_kb = _first_load_kb()
    timings = _time_to_kpi(frontend_gateway_url)
    print(f"\n\n== Dashboard first load: {first_load_kb:.1f} kB of JavaScript (gzip)")
    print(f"   KPI cards visible: cold {timings['cold']}, warm {timings['warm']}")
    write_result("frontend", {"first_load_js_gzip_kb": first_load_kb, **timings})


def _first_load_kb() -> float:
    out = subprocess.run(  # noqa: S603 - a fixed command
        ["npm", "--prefix", str(FRONTEND), "run", "--silent", "budget"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    match = re.search(r"first-load JavaScript: ([\d.]+) kB", out)
    assert match, out
    return float(match.group(1))


def _time_to_kpi(url: str) -> dict[str, object]:
    out = subprocess.run(  # noqa: S603 - a fixed command
        ["node", str(FRONTEND / "bench" / "time-to-kpi.mjs")],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "CHIIKI_URL": url, "RUNS": RUNS},
        timeout=600,
    ).stdout
    document: dict[str, object] = json.loads(out.strip().splitlines()[-1])
    return document
