"""No web process loads what only some requests need until one does: idle, the numerical
libraries and Celery would hold much of its memory (issue 15; measured in docs/performance.md,
"Idle memory")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chiiki_auth.keys import generate_key_file
from chiiki_devstack.pytest_plugin import Platform

HEAVY = ("pandas", "numpy", "scipy", "sklearn")
# A web process only sends tasks: it imports Celery and kombu on its first send
# (chiiki_shared.bus.LazyCelery), about 6 MB.
BUS = ("celery", "kombu")


def _loaded_after_importing(app_module: str, names: tuple[str, ...]) -> set[str]:
    probe = (
        f"import sys, {app_module}; "
        f"print(','.join(sorted(m for m in {names!r} if m in sys.modules)))"
    )
    # argv built here from fixed parts
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {name for name in done.stdout.strip().split(",") if name}


@pytest.mark.parametrize(
    ("app_module", "allowed"),
    [
        ("chiiki_auth.main", set()),
        ("chiiki_stats.main", set()),
        ("chiiki_ingest.main", set()),
        # numpy (about 10 MB) stays: the forecast documents and series types use it at import.
        ("chiiki_analytics.main", {"numpy"}),
    ],
)
def test_the_app_imports_no_heavy_numerical_library(app_module: str, allowed: set[str]) -> None:
    assert _loaded_after_importing(app_module, HEAVY) - allowed == set()


@pytest.mark.parametrize(
    "app_module",
    ["chiiki_auth.main", "chiiki_stats.main", "chiiki_ingest.main", "chiiki_analytics.main"],
)
def test_the_app_imports_no_celery(app_module: str) -> None:
    assert _loaded_after_importing(app_module, BUS) == set()


_STARTED_PROBE = """
import asyncio, importlib, sys
app = importlib.import_module(sys.argv[1]).app
async def start_and_stop() -> None:
    async with app.router.lifespan_context(app):
        print('loaded:' + ','.join(sorted(m for m in sys.argv[2:] if m in sys.modules)))
asyncio.run(start_and_stop())
"""


@pytest.mark.parametrize(
    "app_module",
    ["chiiki_auth.main", "chiiki_stats.main", "chiiki_ingest.main", "chiiki_analytics.main"],
)
def test_the_started_app_holds_no_celery(
    platform: Platform, tmp_path: Path, app_module: str
) -> None:
    """Start-up must not make the bus either (analytics once warmed it there)."""
    generate_key_file(tmp_path / "keys")
    env = {**platform.service_env(), "AUTH_KEYS_DIR": str(tmp_path / "keys")}
    # argv built here from fixed parts
    done = subprocess.run(
        [sys.executable, "-c", _STARTED_PROBE, app_module, *BUS],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=120,
    )
    # The services log to stdout too: the probe's answer is its own line.
    (loaded,) = [line for line in done.stdout.splitlines() if line.startswith("loaded:")]
    assert loaded == "loaded:"
