"""Benchmark, not a test: repeated reads through the gateway's read cache, against the same
gateway without it and against nginx serving the same bytes as a static file, in one run.

Run with ``make bench-stats`` (or ``make bench``). It starts the real stack (like ``tests/e2e``),
publishes the recorded tables as ``bench/stats_bench.py`` does, then for each read the dashboards
repeat (KPI cards, a population series, a comparison, a GeoJSON map layer, a stored forecast)
runs ``wrk`` for ``BENCH_SECONDS`` (10 by default) at ``BENCH_CACHE_CONNECTIONS`` (64) with the
admin's token against:

- the gateway with its read cache (``GATEWAY_READ_CACHE`` on, as ``make up`` runs it);
- a second gateway in front of the same services with it off (the reads reach stats, whose
  own answer comes from Redis): the "before";
- a plain nginx (same binary, same worker count, no access log) serving the bytes the gateway
  sent, saved as files: the ceiling.

It prints p50/p95/p99, requests/s and the ratio to the static file, and writes them to
``.run/bench/gateway-cache.json`` (``chiiki_devstack.bench_results``). wrk is required
(``make bench-stats`` installs Debian's when run as root): a Python client would measure itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from chiiki_devstack import gateway
from chiiki_devstack.bench_results import cpu_model, write_result
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import free_port, import_test_helper, second_gateway
from chiiki_devstack.stack import Stack

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CACHE_CONNECTIONS", "64"))
FORECAST = "/api/forecasts?indicator=population.total&region=13000"
READS = {
    "kpi (8 cards with ranks)": "/api/kpi?region=13000",
    "population series (1 prefecture, 15 indicators)": "/api/population/13000",
    "comparison (3 regions x 3 indicators)": "/api/comparison?regions=13000,27000,01000"
    "&indicators=population.total,population.aged_65_plus_share,vital.births",
    "GeoJSON layer (47 prefectures)": "/api/population?level=prefecture&period=2020"
    "&indicators=population.total&format=geojson",
    "stored forecast (series)": FORECAST,
}
STATIC_CONFIG = """worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
    client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp; uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
    access_log off;
    sendfile on;
    keepalive_timeout 65;
    default_type application/json;
    server {{
        listen 127.0.0.1:{port} reuseport;
        root {root}/files;
    }}
}}
"""


def _stats_bench() -> ModuleType:
    return import_test_helper(REPO_ROOT / "bench" / "stats_bench.py")


def test_gateway_cache_benchmark(stack: Stack, admin_headers: Callable[[], dict[str, str]]) -> None:
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk, or make bench-stats as root)")
    helpers = _stats_bench()
    url = stack.settings.gateway_url
    helpers._publish_tables(url, admin_headers)
    source = _stored_forecast(url, admin_headers)
    bodies = _bodies(url, admin_headers)
    token = admin_headers()["Authorization"]
    results: dict[str, dict[str, list[float]]] = {}
    with (
        second_gateway(GATEWAY_READ_CACHE="false") as uncached,
        _static_nginx(bodies, stack.settings.gateway_workers) as static,
    ):
        for name, path in READS.items():

            def run(base: str, target: str) -> list[float]:
                row = _wrk(helpers, base, target, token)
                print(f"  {base}{target}: {row}", flush=True)
                return row

            results[name] = {
                "static file": run(static, f"/{_file_name(path)}"),
                "gateway, read cache": run(url, path),
                "gateway, no read cache": run(uncached, path),
            }
    _report(results, bodies, source)


def run_wrk(
    base: str,
    lua: str,
    token: str,
    *,
    threads: int = 2,
    connections: int = CONNECTIONS,
    seconds: int = SECONDS,
) -> str:
    """wrk's output with the Lua script ``lua`` and the token on every request; a socket
    waiting more than 5 s counts as an error."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    try:
        command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
        command += ["--timeout", "5s", "-s", script.name, "-H", f"Authorization: {token}", base]
        return subprocess.run(  # noqa: S603 - a fixed command
            command, capture_output=True, text=True, check=True
        ).stdout
    finally:
        os.unlink(script.name)


def _wrk(helpers: ModuleType, base: str, path: str, token: str) -> list[float]:
    """p50, p95, p99 (ms), requests/s and errors (non-2xx/3xx answers, sockets that failed or
    waited more than 5 s): the uncached gateway may not keep up, and that is a result."""
    out = run_wrk(base, helpers._WRK_SCRIPT % json.dumps(path), token)
    match = re.search(r"RESULT ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    assert rate, out
    p50, p95, p99 = (float(match.group(n)) for n in (1, 2, 3))
    return [p50, p95, p99, float(rate.group(1)), float(match.group(5))]


def _stored_forecast(base: str, headers: Callable[[], dict[str, str]]) -> str:
    """Wait (a while) for the worker to store the series forecast; it is the same bytes when
    fitted on demand, so the benchmark goes on either way and says which it measured."""
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=base, timeout=60) as client:
        while True:
            response = client.get(FORECAST, headers=headers())
            assert response.status_code == 200, response.text[:300]
            source = str(response.headers.get("x-forecast-source", "fitted"))
            if source == "stored" or time.monotonic() > deadline:
                return source
            time.sleep(2)


def _bodies(
    base: str, headers: Callable[[], dict[str, str]], paths: Iterable[str] = READS.values()
) -> dict[str, bytes]:
    """The bytes the gateway serves for each read (no compression: wrk asks for none)."""
    with httpx.Client(base_url=base, timeout=60) as client:
        bodies = {}
        for path in paths:
            response = client.get(path, headers={**headers(), "Accept-Encoding": "identity"})
            assert response.status_code == 200, (path, response.text[:300])
            bodies[path] = response.content
    return bodies


def _file_name(path: str) -> str:
    return hashlib.sha256(path.encode()).hexdigest()[:16] + ".json"


@contextmanager
def _static_nginx(bodies: dict[str, bytes], workers: int) -> Iterator[str]:
    root = Path(tempfile.mkdtemp(prefix="chiiki-static-"))
    root.chmod(0o755)
    (root / "files").mkdir()
    (root / "tmp").mkdir()
    for path, body in bodies.items():
        (root / "files" / _file_name(path)).write_bytes(body)
    port = free_port()
    config = root / "nginx.conf"
    config.write_text(STATIC_CONFIG.format(workers=workers, root=root, port=port))
    process = subprocess.Popen(  # noqa: S603 - our nginx, our config
        [gateway.nginx_binary(), "-p", str(root), "-c", str(config), "-e", str(root / "e.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(f"{url}/{_file_name(next(iter(bodies)))}", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the static nginx did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)


def _report(
    results: dict[str, dict[str, list[float]]], bodies: dict[str, bytes], source: str
) -> None:
    print(f"\n\n== Gateway read cache: wrk, 2 threads, {CONNECTIONS} connections, {SECONDS} s each")
    print(f"   (the forecast: {source}; nginx {_nginx_version()}, {cpu_model()})")
    print(f"  {'read':<50} {'served by':<24} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}", end="")
    print(f" {'req/s':>8} {'ratio':>6} {'errors':>6}")
    for name, rows in results.items():
        static_rps = rows["static file"][3]
        size = len(bodies[READS[name]]) / 1000
        for served_by, (p50, p95, p99, rps, errors) in rows.items():
            label = f"{name} ({size:.0f} kB)" if served_by == "static file" else ""
            print(f"  {label:<50} {served_by:<24} {p50:>7.2f} {p95:>7.2f} {p99:>7.2f}", end="")
            print(f" {rps:>8.0f} {rps / static_rps:>6.3f} {errors:>6.0f}")
    document = {
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "forecast_source": source,
        "reads": {
            name: {
                "path": READS[name],
                "bytes": len(bodies[READS[name]]),
                **{
                    served_by: dict(
                        zip(("p50_ms", "p95_ms", "p99_ms", "rps", "errors"), row, strict=True)
                    )
                    for served_by, row in rows.items()
                },
            }
            for name, rows in results.items()
        },
    }
    write_result("gateway-cache", document)


def _nginx_version() -> str:
    result = subprocess.run(  # noqa: S603 - a fixed command
        [gateway.nginx_binary(), "-v"], capture_output=True, text=True, check=False
    )
    return result.stderr.strip()
