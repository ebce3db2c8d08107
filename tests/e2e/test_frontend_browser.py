"""The dashboard in a real browser: headless Chromium (Debian's, driven by playwright-core) runs
frontend/tests/browser against the gateway serving the built app, with the recorded tables
published on the bus as ingest publishes them. Screenshots go to .run/artifacts/screens."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import import_test_helper
from chiiki_shared.bus import create_celery_app
from chiiki_stats.config import StatsSettings

pytestmark = pytest.mark.e2e

FRONTEND = REPO_ROOT / "frontend"
SCREENSHOTS = REPO_ROOT / ".run" / "artifacts" / "screens"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# What the pages show: the SSDSE panel, the census series, the pyramid and the municipal counts.
TABLES = (
    "ssdse-b-2023",
    "census-c01-1920-2015",
    "census-0003410379",
    "census-0003410380",
    "0003445099",
)
BROWSER_TESTS_TIMEOUT_SECONDS = 1200


def _publish_all(gateway_url: str, admin_headers: Callable[[], dict[str, str]]) -> None:
    estat = import_test_helper(REPO_ROOT / "services" / "stats" / "tests" / "estat_bus.py")
    bus = create_celery_app(StatsSettings())
    for stats_data_id in TABLES:
        table = estat.table(stats_data_id)
        batches, payload = table.messages()
        for batch in batches:
            bus.send_task("stats.apply_batch", args=[batch])
        bus.send_task("stats.publish_version", args=[payload])
        url = f"{gateway_url}/api/datasets/{table.stats_data_id}"
        deadline = time.monotonic() + 120
        while True:
            response = httpx.get(url, headers=admin_headers(), timeout=15)
            applied = response.status_code == 200 and response.json()["content_hash"]
            if applied == payload["content_hash"]:
                break
            assert time.monotonic() < deadline, f"{stats_data_id} was not applied"
            time.sleep(0.3)


def _warm_municipal_map(gateway_url: str, admin_headers: Callable[[], dict[str, str]]) -> None:
    """The whole-country municipal layer takes seconds to build on a loaded machine, more than
    the e2e gateway's read timeout: asked until stats has it cached, so the page's request is a
    cache hit (the page itself would show its error state and a retry button)."""
    url = f"{gateway_url}/api/indicators/population.total/cross-section"
    params = {"level": "municipality", "format": "geojson"}
    deadline = time.monotonic() + 180
    while httpx.get(url, params=params, headers=admin_headers(), timeout=30).status_code != 200:
        assert time.monotonic() < deadline, "the municipal map was never served"
        time.sleep(1)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="no Chromium: apt-get install chromium")
@pytest.mark.skipif(shutil.which("node") is None, reason="no node")
def test_the_dashboard_in_a_browser(
    frontend_gateway_url: str, admin_headers: Callable[[], dict[str, str]]
) -> None:
    _publish_all(frontend_gateway_url, admin_headers)
    _warm_municipal_map(frontend_gateway_url, admin_headers)
    result = subprocess.run(
        ["node", "--test", "--test-concurrency=1", "tests/browser/"],
        cwd=FRONTEND,
        env={
            **os.environ,
            "CHIIKI_URL": frontend_gateway_url,
            "CHIIKI_SCREENSHOTS": str(SCREENSHOTS),
            "CHROMIUM": str(CHROMIUM),
        },
        capture_output=True,
        text=True,
        timeout=BROWSER_TESTS_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    for page in ("dashboard", "map", "livability", "population", "comparison", "policies"):
        assert (SCREENSHOTS / f"{page}.png").stat().st_size > 0
