"""Benchmark, not a test: a mixed load through the gateway, 80% repeated reads and 20% queries
never asked before, at ``BENCH_CACHE_CONNECTIONS`` (64) connections (issue 15's target: p99 <=
200 ms, zero errors).

Run with ``make bench-stats`` (or ``make bench``). It starts the real stack, publishes the
recorded tables as ``bench/stats_bench.py`` does, then runs ``wrk`` for ``BENCH_SECONDS`` with the
admin's token. Each wrk thread sends, in turn, four reads the dashboards repeat (the read cache's
``READS`` of ``bench/gateway_cache_bench.py``) and then one distinct query, taken from a pool of
URLs of which no two are equal and no thread takes one another took: livability slider weights,
KPI cards with another sparkline length, comparisons of other regions. A distinct query is
computed by stats (a miss at the gateway and in Redis) while the repeated ones are served by the
gateway's read cache, so the tail is the misses queueing behind each other in stats.

It prints p50/p95/p99, requests/s, errors and how many distinct queries were sent, and writes
them to ``.run/bench/mixed-load.json`` (``chiiki_devstack.bench_results``).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from types import ModuleType

import httpx
import pytest

from chiiki_devstack.bench_results import cpu_model, write_result
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import import_test_helper
from chiiki_devstack.stack import Stack

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CACHE_CONNECTIONS", "64"))
THREADS = 2
DISTINCT_POOL = 6_000
SEQUENTIAL = 30
STATS_BENCH = import_test_helper(REPO_ROOT / "bench" / "stats_bench.py")
PREFECTURES, LIVABILITY = STATS_BENCH.PREFECTURES, STATS_BENCH.LIVABILITY
_SCRIPT = """
local repeated = {%(repeated)s}
local distinct = {%(distinct)s}
local threads = {}
local counter = 0
taken = 0  -- global: done() reads it from each thread
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
request = function()
  counter = counter + 1
  if counter %% 5 ~= 0 then
    return wrk.format("GET", repeated[(counter %% #repeated) + 1])
  end
  -- thread n takes the distinct URLs n, n + THREADS, n + 2 THREADS...: none is sent twice
  local index = id + taken * %(threads)d + 1
  taken = taken + 1
  return wrk.format("GET", distinct[((index - 1) %% #distinct) + 1])
end
local statuses = {}
failed = ""  -- global: "status:count " for each status >= 400 this thread saw
response = function(status, headers, body)
  if status >= 400 then
    statuses[status] = (statuses[status] or 0) + 1
    failed = ""
    for code, count in pairs(statuses) do failed = failed .. code .. ":" .. count .. " " end
  end
end
done = function(summary, latency, requests)
  local sent = 0
  for _, thread in ipairs(threads) do
    sent = sent + (thread:get("taken") or 0)
    io.write("FAILED " .. (thread:get("failed") or "") .. "\\n")
  end
  local errors = summary.errors
  io.write(string.format("RESULT %%f %%f %%f %%d %%d %%d %%d %%d\\n", latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, summary.requests,
    errors.status, errors.connect + errors.read, errors.timeout, sent))
end
"""


def _distinct_urls() -> Iterator[str]:
    """Queries stats has not answered before, cycling through three kinds."""
    # Weights of 3 to 7, not all equal: the default index (every weight 1) is warmed on apply,
    # and bench/stats_bench.py, earlier in the same stack, asks for weights of 1 and 2.
    weights = (w for w in itertools.product(range(3, 8), repeat=len(LIVABILITY)) if len(set(w)) > 1)
    triples = itertools.combinations(PREFECTURES, 3)
    kinds = itertools.cycle(("livability", "kpi", "comparison"))
    # In English: the default card (10 points, Japanese) is warmed on apply, and
    # bench/stats_bench.py asks for Japanese ones.
    cards = itertools.product(PREFECTURES, range(2, 51), ("en",))
    for kind in kinds:
        if kind == "livability":
            pairs = zip(LIVABILITY, next(weights), strict=True)
            yield "/api/livability?period=2020&weights=" + ",".join(f"{c}:{w}" for c, w in pairs)
        elif kind == "kpi":
            region, length, lang = next(cards)
            yield f"/api/kpi?region={region}&sparkline={length}&lang={lang}"
        else:
            yield "/api/comparison?indicators=population.total,vital.births&regions=" + ",".join(
                next(triples)
            )


def test_mixed_load_benchmark(stack: Stack, admin_headers: Callable[[], dict[str, str]]) -> None:
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk, or make bench-stats as root)")
    cache_bench = import_test_helper(REPO_ROOT / "bench" / "gateway_cache_bench.py")
    url = stack.settings.gateway_url
    STATS_BENCH._publish_tables(url, admin_headers)
    repeated = [path for path in cache_bench.READS.values() if "/forecasts" not in path]
    cache_bench._bodies(url, admin_headers, repeated)  # the read cache holds them
    distinct = list(itertools.islice(_distinct_urls(), DISTINCT_POOL))
    assert len(set(distinct)) == len(distinct)
    alone = _one_at_a_time(url, distinct[:SEQUENTIAL], admin_headers)
    token = admin_headers()["Authorization"]
    started = datetime.now(UTC)
    result = _wrk(cache_bench, url, repeated, distinct[SEQUENTIAL:], token)
    _report(result, alone, repeated, cache_bench, _warm_rounds(stack, started))


def _warm_rounds(stack: Stack, started: datetime) -> list[dict[str, float]]:
    """The stats processes' warm-ups after the publish (``warmed`` in their logs): when each
    ended, in seconds from the start of the load (negative: before it), and how long it took.
    A round spends its process's CPU on the warmed answers while the misses wait."""
    rounds = []
    for log in sorted(stack.settings.log_dir.glob("api-stats*.log")):
        for line in log.read_text(errors="replace").splitlines():
            if '"warmed"' not in line or not line.startswith("{"):
                continue
            entry = json.loads(line)
            if entry.get("event") != "warmed":
                continue
            ended = datetime.fromisoformat(entry["timestamp"].replace("Z", "+00:00"))
            offset = (ended - started).total_seconds()
            rounds.append({"ended_s": round(offset, 1), "seconds": entry.get("seconds", 0.0)})
    return rounds


def _one_at_a_time(
    base: str, urls: list[str], headers: Callable[[], dict[str, str]]
) -> dict[str, float]:
    """Median ms of each kind of distinct query with nothing else running: what a miss costs."""
    timings: dict[str, list[float]] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in urls:
            begun = time.perf_counter()
            response = client.get(path, headers=headers())
            elapsed = (time.perf_counter() - begun) * 1000
            assert response.status_code == 200, (path, response.text[:300])
            assert response.headers.get("x-cache") != "HIT", path
            timings.setdefault(path.split("?")[0], []).append(elapsed)
    return {kind: statistics.median(values) for kind, values in timings.items()}


def _wrk(
    cache_bench: ModuleType, base: str, repeated: list[str], distinct: list[str], token: str
) -> dict[str, float]:
    source = _SCRIPT % {
        "repeated": ", ".join(json.dumps(path) for path in repeated),
        "distinct": ", ".join(json.dumps(path) for path in distinct),
        "threads": THREADS,
    }
    out = cache_bench.run_wrk(
        base, source, token, threads=THREADS, connections=CONNECTIONS, seconds=SECONDS
    )
    match = re.search(r"RESULT ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    assert rate, out
    names = "p50_ms p95_ms p99_ms requests error_status error_socket error_timeout distinct_sent"
    result = dict(zip(names.split(), (float(value) for value in match.groups()), strict=True))
    result["rps"] = float(rate.group(1))
    failed: dict[str, float] = {}
    for status, count in re.findall(r"(\d{3}):(\d+)", " ".join(re.findall(r"FAILED (.*)", out))):
        failed[status] = failed.get(status, 0) + float(count)
    result |= {f"status_{status}": count for status, count in sorted(failed.items())}
    assert result["distinct_sent"] <= len(distinct), "the pool ran out: queries repeated"
    return result


def _report(
    result: dict[str, float],
    alone: dict[str, float],
    repeated: list[str],
    cache_bench: ModuleType,
    warm_rounds: list[dict[str, float]],
) -> None:
    print(f"\n\n== Mixed load: wrk, {THREADS} threads, {CONNECTIONS} connections, {SECONDS} s")
    print(f"   80% repeated ({len(repeated)} reads, gateway read cache), 20% distinct (stats)")
    print(f"   (nginx {cache_bench._nginx_version()}, {cpu_model()})")
    print(f"  {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8}", end="")
    print(f" {'non-2xx':>8} {'socket':>7} {'timeout':>8} {'distinct':>9}")
    print(
        f"  {result['p50_ms']:>8.2f} {result['p95_ms']:>8.2f} {result['p99_ms']:>8.2f}"
        f" {result['rps']:>8.0f} {result['error_status']:>8.0f} {result['error_socket']:>7.0f}"
        f" {result['error_timeout']:>8.0f} {result['distinct_sent']:>9.0f}"
    )
    statuses = {key: value for key, value in result.items() if key.startswith("status_")}
    if statuses:
        print(f"  answers >= 400 by status: {statuses}")
    print(f"  a distinct query alone (median of {SEQUENTIAL // 3}, one client): ", end="")
    print(", ".join(f"{kind} {ms:.1f} ms" for kind, ms in alone.items()))
    shown = ", ".join(
        f"ended {r['ended_s']:+.1f} s, took {r['seconds']:.1f} s" for r in warm_rounds
    )
    print(f"  warm-ups in stats (from the start of the load): {shown or 'none'}")
    document = {
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "repeated": repeated,
        "result": result,
        "distinct_alone_median_ms": alone,
        "warm_rounds": warm_rounds,
    }
    write_result("mixed-load", document)
