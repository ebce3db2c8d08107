"""Backups: every service schema dumped with ``chiiki-stack backup`` and restored with
``chiiki-stack restore`` into an empty database brings back a platform that gives the same
answers, byte for byte: a second stack, pointed at the restored database (and at an empty Redis
key space, so nothing comes from a cache), is asked what the e2e stack was asked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import httpx
import pytest
import redis
from sqlalchemy.engine import make_url

from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import (
    E2E_ADMIN_EMAIL,
    E2E_ADMIN_PASSWORD,
    Platform,
    import_test_helper,
    running_stack,
)
from chiiki_devstack.stack import Stack
from chiiki_shared.bus import create_celery_app
from chiiki_shared.provisioning import drop_database
from chiiki_stats.config import StatsSettings

pytestmark = pytest.mark.e2e

CENSUS = "census-c01-1920-2015"
PROBES = (
    "/api/datasets",
    "/api/population/13000",
    "/api/kpi?region=13000",
    "/api/comparison?regions=13000,27000&indicators=population.total",
    "/api/population?level=prefecture&period=2015&indicators=population.total&format=geojson",
    "/api/auth/me",
    "/api/analytics/policies",
    "/api/ingest/runs",
)


def _published(gateway: httpx.Client, headers: dict[str, str]) -> bool:
    datasets = gateway.get("/api/datasets", headers=headers).json()["items"]
    return any(item["id"] == CENSUS for item in datasets)


def _ensure_census(gateway: httpx.Client, headers: Callable[[], dict[str, str]]) -> None:
    """The census table in stats (already there when the analytics flow ran first)."""
    if _published(gateway, headers()):
        return
    feed = import_test_helper(REPO_ROOT / "services" / "analytics" / "tests" / "stats_feed.py")
    batches, payload = feed.messages(CENSUS)
    bus = create_celery_app(StatsSettings())
    for batch in batches:
        bus.send_task("stats.apply_batch", args=[batch])
    bus.send_task("stats.publish_version", args=[payload])
    deadline = time.monotonic() + 120
    while not _published(gateway, headers()):
        assert time.monotonic() < deadline, "the census table never reached stats"
        time.sleep(0.5)


def _answers(base_url: str, headers: dict[str, str]) -> dict[str, tuple[int, str, bytes]]:
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        answers = {}
        for path in PROBES:
            response = client.get(path)
            etag = response.headers.get("etag", "")
            answers[path] = (response.status_code, etag, response.content)
    return answers


def _login(base_url: str) -> dict[str, str]:
    response = httpx.post(
        f"{base_url}/api/auth/login",
        json={"email": E2E_ADMIN_EMAIL, "password": E2E_ADMIN_PASSWORD},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _forget_keys(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def _cli(*args: str, database_url: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "chiiki_devstack.cli", *args],
        env={**os.environ, "DATABASE_URL": database_url},
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_backup_restored_into_an_empty_database_answers_the_same(
    stack: Stack, platform: Platform, admin_headers, tmp_path: Path
) -> None:
    gateway = httpx.Client(base_url=stack.settings.gateway_url, timeout=30)
    _ensure_census(gateway, admin_headers)
    policy = {
        "name": "backup: Osaka 2012",
        "region": "27000",
        "start_period": 2012,
        "target_indicators": ["population.total"],
    }
    created = gateway.post("/api/analytics/policies", json=policy, headers=admin_headers())
    assert created.status_code == 201, created.text
    restored_url = (
        make_url(platform.admin_url)
        .set(database=f"{make_url(platform.admin_url).database}_restored")
        .render_as_string(hide_password=False)
    )
    prefix = f"chiiki-restored-{uuid4().hex[:8]}:"
    run_dir = Path(tempfile.mkdtemp(prefix="chiiki-restored-"))
    run_dir.chmod(0o711)
    try:
        before = _answers(stack.settings.gateway_url, admin_headers())
        assert all(status == 200 for status, _, _ in before.values()), before
        folder = tmp_path / "backup"
        _cli("backup", "--to", str(folder), database_url=platform.admin_url)
        assert sorted(p.name for p in folder.iterdir()) == [
            "analytics.dump",
            "auth.dump",
            "ingest.dump",
            "manifest.json",
            "stats.dump",
        ]
        _cli("restore", str(folder), database_url=restored_url)
        # Restoring over data is refused: a restore never mixes with live rows.
        refused = subprocess.run(
            [sys.executable, "-m", "chiiki_devstack.cli", "restore", str(folder)],
            env={**os.environ, "DATABASE_URL": restored_url},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1
        assert "is not empty" in refused.stderr
        with running_stack(
            platform,
            run_dir,
            DATABASE_URL=restored_url,
            REDIS_KEY_PREFIX=prefix,
            INGEST_SCHEDULE_ENABLED="false",
        ) as second:
            after = _answers(second.settings.gateway_url, _login(second.settings.gateway_url))
        assert after == before
    finally:
        gateway.delete(f"/api/analytics/policies/{created.json()['id']}", headers=admin_headers())
        gateway.close()
        drop_database(restored_url)
        _forget_keys(platform.redis_url, prefix)
        shutil.rmtree(run_dir, ignore_errors=True)
