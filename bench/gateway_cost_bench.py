"""Benchmark, not a test: what each part of a cached read costs the gateway (issue 15).

Run with ``make bench-gateway-cost``. It starts the real stack (like ``tests/e2e``), publishes the
recorded tables, and then runs copies of the stack's own rendered gateway config, each with one
part changed (``VARIANTS``: the access log unbuffered or off, the token check's cache key
without njs, no token check at all, ...), next to a plain nginx serving the same bytes as static
files, in the same run. For the KPI and the forecast reads it runs ``wrk`` (2 threads,
``BENCH_CACHE_CONNECTIONS`` connections, ``BENCH_SECONDS`` each) against the static file and
then the variant, and reports p50/p95/p99, requests/s, the ratio to the static file, and the
nginx workers' own CPU time per request (user + system, from ``/proc``): on a shared machine the
throughput ratio moves with whatever else runs, the CPU time per request much less.

Some variants are measurements only and unsafe as a configuration: "token key: raw header" puts
the token into the cache files, "token digest: constant" files every token under one key, "no
token check" lets anyone read. They show what those parts cost, nothing more. The output goes to
``.run/bench/gateway-cost.json`` (``chiiki_devstack.bench_results``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from chiiki_devstack import gateway
from chiiki_devstack.bench_results import write_result
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import free_port, import_test_helper
from chiiki_devstack.stack import Stack

SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
CONNECTIONS = int(os.environ.get("BENCH_CACHE_CONNECTIONS", "64"))
READS = {
    "kpi": "/api/kpi?region=13000",
    "forecast": "/api/forecasts?indicator=population.total&region=13000",
}
ACCESS_LOG = r"^(    access_log \S+ chiiki_json)( buffer=64k flush=1s)?;"
TOKEN_KEY = r'proxy_cache_key "\$chiiki_token_digest:'  # noqa: S105 - a config line
OPEN_FILES = r"^ *open_file_cache(_valid)? [^\n]*\n"
# Other tokenDigest functions, each in a copy of gateway/njs/ ("NJS:<name>" in a replacement).
DIGESTS = {
    "constant": "function tokenDigest(r) { return 'constant'; }",
    "hex": "import crypto from 'crypto';\nfunction tokenDigest(r) {\n"
    "    return crypto.createHash('sha256').update(r.headersIn.Authorization || '')"
    ".digest('hex');\n}",
    "variable": "import crypto from 'crypto';\nfunction tokenDigest(r) {\n"
    "    return crypto.createHash('sha256').update(r.variables.http_authorization || '')"
    ".digest('base64url');\n}",
}
# Each: (pattern, replacement) applied to the rendered config.
VARIANTS: dict[str, list[tuple[str, str]]] = {
    "as configured": [],
    "before (log unbuffered, files reopened)": [(ACCESS_LOG, r"\1;"), (OPEN_FILES, "")],
    "access log unbuffered": [(ACCESS_LOG, r"\1;")],
    "no access log": [(ACCESS_LOG, "    access_log off;")],
    "cache files not kept open": [(OPEN_FILES, "")],
    "token digest: hex": [(r"js_path \S+;", "js_path NJS:hex;")],
    "token digest: from r.variables": [(r"js_path \S+;", "js_path NJS:variable;")],
    "token digest: constant": [(r"js_path \S+;", "js_path NJS:constant;")],
    "token key: raw header": [(TOKEN_KEY, 'proxy_cache_key "$http_authorization:')],
    "no token check": [(r"^ *auth_request /_auth/verify;\n", "")],
}
# The plain nginx that serves the same bytes as files, and how those bytes are read: the
# gateway-cache bench's, the baseline of both.
CACHE_BENCH = import_test_helper(REPO_ROOT / "bench" / "gateway_cache_bench.py")
STATIC_CONFIG = CACHE_BENCH.STATIC_CONFIG
Row = dict[str, float]


def test_gateway_cost_benchmark(stack: Stack, admin_headers: Callable[[], dict[str, str]]) -> None:
    if not shutil.which("wrk"):
        pytest.skip("wrk is not installed (apt-get install wrk, or make bench-stats as root)")
    helpers = import_test_helper(REPO_ROOT / "bench" / "stats_bench.py")
    url = stack.settings.gateway_url
    helpers._publish_tables(url, admin_headers)
    bodies = CACHE_BENCH._bodies(url, admin_headers, READS.values())
    rendered = (stack.settings.run_dir / "nginx" / "nginx.conf").read_text()
    workers = stack.settings.gateway_workers
    results: dict[str, dict[str, dict[str, Row | float]]] = {}
    with tempfile.TemporaryDirectory(prefix="chiiki-cost-") as scratch:
        root = Path(scratch)
        root.chmod(0o755)  # nginx's workers (nobody, when run as root) read and write in it
        njs = _digest_njs(root / "njs")
        with _static_nginx(root / "static", bodies, workers) as (static_url, static_pid):
            for name, changes in VARIANTS.items():
                config = _variant(rendered, stack, root / "variant", changes, njs)
                with _nginx(root / "variant", config) as (variant_url, variant_pid):
                    results[name] = {}
                    for read, path in READS.items():
                        token = admin_headers()["Authorization"]
                        _warm(variant_url, path, token)
                        results[name][read] = {
                            "static": _measure(
                                helpers, static_url, f"/{read}.json", token, static_pid
                            ),
                            "gateway": _measure(helpers, variant_url, path, token, variant_pid),
                            "load_average": os.getloadavg()[0],
                        }
                        _print_row(name, read, results[name][read])
    _write(results, bodies)


def _variant(
    rendered: str, stack: Stack, root: Path, changes: list[tuple[str, str]], njs: Path
) -> str:
    """The stack's config with its own paths and port swapped for the variant's, then changed."""
    shutil.rmtree(root, ignore_errors=True)
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (root / "nginx" / temp).mkdir(parents=True)
    config = rendered.replace(str(stack.settings.run_dir / "nginx"), str(root / "nginx"))
    config = re.sub(r"access_log \S+gateway-access\.log", f"access_log {root}/access.log", config)
    port = stack.settings.gateway_url.rsplit(":", 1)[1]
    config = re.sub(rf"(listen [\d.]+):{port} ", rf"\g<1>:{free_port()} ", config)
    for pattern, replacement in changes:
        config, count = re.subn(pattern, replacement.replace("NJS:", f"{njs}/"), config, flags=re.M)
        assert count, f"the rendered config has no {pattern!r}"
    return config


def _digest_njs(folder: Path) -> Path:
    for name, source in DIGESTS.items():
        shutil.copytree(gateway.GATEWAY_DIR / "njs", folder / name)
        (folder / name / "auth.js").write_text(f"{source}\nexport default {{ tokenDigest }};\n")
    return folder


@contextmanager
def _static_nginx(root: Path, bodies: dict[str, bytes], workers: int) -> Iterator[tuple[str, int]]:
    (root / "files").mkdir(parents=True)
    (root / "tmp").mkdir()
    for read, path in READS.items():
        (root / "files" / f"{read}.json").write_bytes(bodies[path])
    port = free_port()
    with _nginx(root, STATIC_CONFIG.format(workers=workers, root=root, port=port)) as started:
        yield started


@contextmanager
def _nginx(root: Path, config: str) -> Iterator[tuple[str, int]]:
    """nginx with ``config``; yields its URL and its master's pid."""
    path = root / "nginx.conf"
    path.write_text(config)
    process = subprocess.Popen(  # noqa: S603 - our nginx, our config
        [gateway.nginx_binary(), "-p", str(root), "-c", str(path), "-e", str(root / "e.log")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = re.search(r"listen 127\.0\.0\.1:(\d+)", config)
        assert port, "no listen line"
        url = f"http://127.0.0.1:{port.group(1)}"
        deadline = time.monotonic() + 10
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                assert process.poll() is None, (root / "e.log").read_text()
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def _warm(base: str, path: str, token: str) -> None:
    """Store the answer wrk will read (no compression), so no row starts with a miss."""
    response = httpx.get(
        f"{base}{path}", headers={"Authorization": token, "Accept-Encoding": ""}, timeout=60
    )
    assert response.status_code == 200, response.text[:300]


def _measure(helpers: ModuleType, base: str, path: str, token: str, master: int) -> Row:
    before = _workers_cpu(master)
    lua = helpers._WRK_SCRIPT % json.dumps(path)
    out = CACHE_BENCH.run_wrk(base, lua, token, connections=CONNECTIONS, seconds=SECONDS)
    cpu = _workers_cpu(master) - before
    match = re.search(r"RESULT ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    assert rate, out
    requests = int(match.group(4))
    return {
        "p50_ms": float(match.group(1)),
        "p95_ms": float(match.group(2)),
        "p99_ms": float(match.group(3)),
        "rps": float(rate.group(1)),
        "errors": float(match.group(5)),
        "cpu_us_per_request": cpu * 1e6 / max(requests, 1),
    }


def _workers_cpu(master: int) -> float:
    """User + system CPU seconds of the nginx workers under ``master``."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _print_row(name: str, read: str, row: dict[str, Row | float]) -> None:
    static, served = row["static"], row["gateway"]
    assert isinstance(static, dict)
    assert isinstance(served, dict)
    print(
        f"  {name:<26} {read:<9} static {static['rps']:>8.0f}/s"
        f" {static['cpu_us_per_request']:5.1f} us | gateway {served['rps']:>8.0f}/s"
        f" p50 {served['p50_ms']:6.2f} p95 {served['p95_ms']:7.2f}"
        f" p99 {served['p99_ms']:7.2f} {served['cpu_us_per_request']:5.1f} us errors"
        f" {served['errors']:.0f} | ratio {served['rps'] / static['rps']:.3f}"
        f" load {row['load_average']:.1f}",
        flush=True,
    )


def _write(results: dict[str, dict[str, dict[str, Row | float]]], bodies: dict[str, bytes]) -> None:
    document = {
        "connections": CONNECTIONS,
        "seconds": SECONDS,
        "bytes": {read: len(bodies[path]) for read, path in READS.items()},
        "variants": results,
    }
    write_result("gateway-cost", document)
