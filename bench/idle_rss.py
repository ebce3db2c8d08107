"""Benchmark, not a test: each service's web process, idle, after start-up (issue 15: <= 120 MB).

Run with ``make bench`` or ``.venv/bin/pytest bench/idle_rss.py -q -s -p no:cacheprovider``.
Each service starts under uvicorn on a free port against this run's migrated database; once
``/healthz`` answers and the process has been left alone for ``SETTLE_SECONDS``, its ``VmRSS``
is read from ``/proc/<pid>/status``, with which heavy modules the process holds
(``/proc/<pid>/maps``).
``BENCH_SERVICES`` (e.g. ``"stats stats stats"``) measures only those, in that order: a service
named again starts on the database its first start filled.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from chiiki_auth.keys import generate_key_file
from chiiki_devstack.bench_results import write_result
from chiiki_devstack.pytest_plugin import Platform

SERVICES = tuple(os.environ.get("BENCH_SERVICES", "auth stats ingest analytics").split())
SETTLE_SECONDS = float(os.environ.get("BENCH_SETTLE_SECONDS", "3"))
HEAVY = ("pandas", "numpy", "scipy", "sklearn")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(url: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer in time")


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def _heavy_libraries(pid: int) -> list[str]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in HEAVY if f"/site-packages/{name}/" in maps]


def _measure(service: str, env: dict[str, str], log: Path) -> tuple[int, list[str]]:
    port = _free_port()
    uvicorn = str(Path(sys.executable).with_name("uvicorn"))
    command = [uvicorn, f"chiiki_{service}.main:app", "--port", str(port), "--no-access-log"]
    with log.open("wb") as output:
        # argv built here from fixed parts
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        _wait_ready(f"http://127.0.0.1:{port}/healthz", process, time.monotonic() + 60)
        time.sleep(SETTLE_SECONDS)  # idle on purpose: what the process holds with no traffic
        return _status_kb(process.pid, "VmRSS"), _heavy_libraries(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_idle_rss(platform: Platform, tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    generate_key_file(keys)
    env = {**platform.service_env(), "WEB_CONCURRENCY": "1", "AUTH_KEYS_DIR": str(keys)}
    print()
    measured = {}
    for service in SERVICES:
        rss_kb, heavy = _measure(service, env, tmp_path / f"{service}.log")
        print(f"{service:10} VmRSS {rss_kb / 1024:6.1f} MB  heavy modules: {heavy or 'none'}")
        measured[service] = {"rss_mb": round(rss_kb / 1024, 1), "heavy_modules": heavy}
    write_result("idle-rss", {"settle_seconds": SETTLE_SECONDS, "services": measured})
