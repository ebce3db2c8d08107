"""Where the benchmarks put their figures, and the machine they were measured on.

Each benchmark of ``make bench`` writes one JSON document named after its scenario into
``BENCH_DIR`` (``.run/bench`` by default); ``bench/summarise.py`` reads them all afterwards.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from chiiki_devstack import gateway
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.own_servers import postgres_bin_dir


def results_dir() -> Path:
    return Path(os.environ.get("BENCH_DIR", REPO_ROOT / ".run" / "bench"))


def write_result(scenario: str, document: dict[str, Any]) -> Path:
    """Store one scenario's figures (with the machine) and say where."""
    path = results_dir() / f"{scenario}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**document, "machine": machine()}, indent=2, ensure_ascii=False))
    print(f"\n(written to {path})\n")
    return path


def machine() -> dict[str, Any]:
    """Cores, CPU model, load average and versions: the figures mean nothing without them."""
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu_model(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nginx": _version([gateway.nginx_binary(), "-v"]),
        "postgres": _postgres_version(),
        "wrk": _version(["wrk", "--version"]),
    }


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def _postgres_version() -> str | None:
    try:
        return _version([str(postgres_bin_dir() / "postgres"), "--version"])
    except RuntimeError:
        return None


def _version(command: list[str]) -> str | None:
    try:
        result = subprocess.run(  # noqa: S603 - fixed commands
            command, capture_output=True, text=True, check=False, timeout=5
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (result.stdout or result.stderr).strip().splitlines()
    return text[0] if text else None
