"""Settings: the e-Stat application id is a secret that must be real outside development, and an
alert that cannot be delivered changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from chiiki_devstack.pytest_plugin import free_port
from chiiki_ingest.alerts import alert_run_failed
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.models import Run

REAL_ESTAT = "https://api.e-stat.go.jp/rest/3.0/app/json"


@pytest.mark.parametrize(
    ("environment", "base_url", "app_id", "refused"),
    [
        ("development", REAL_ESTAT, None, False),
        ("production", REAL_ESTAT, None, True),
        ("test", REAL_ESTAT, None, True),
        ("production", REAL_ESTAT, "", True),
        ("production", "http://127.0.0.1:8109/rest/3.0/app/json", None, False),
        ("production", "http://localhost:8109/rest/3.0/app/json", None, False),
        ("production", REAL_ESTAT, "a-real-application-id", False),
    ],
)
def test_the_placeholder_app_id_is_refused_outside_development(
    environment: str, base_url: str, app_id: str | None, refused: bool
) -> None:
    values = {
        "ENVIRONMENT": environment,
        "ESTAT_API_BASE_URL": base_url,
        "db_password": "a-real-database-password",
    }
    if app_id is not None:
        values["ESTAT_APP_ID"] = app_id
    problem = IngestSettings(**values).estat_app_id_problem()
    assert bool(problem) is refused
    if refused and app_id:
        assert app_id not in problem


def test_the_app_id_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = IngestSettings(ESTAT_APP_ID="secret-app-id-123")
    assert "secret-app-id-123" not in repr(settings)
    assert "secret-app-id-123" not in str(settings.model_dump())


def test_a_worker_with_the_placeholder_refuses_to_start(platform) -> None:
    env = {
        **platform.service_env(),
        "ENVIRONMENT": "production",
        "ESTAT_API_BASE_URL": REAL_ESTAT,
        "ESTAT_APP_ID": "dev-only-change-me",
    }
    argv = [sys.executable, "-m", "celery", "-A", "chiiki_ingest.worker", "worker", "-Q", "x"]
    argv += ["-n", f"refused-{os.getpid()}@test", "--without-gossip", "--without-mingle"]
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ESTAT_APP_ID must be set to a real e-Stat application id" in (
        result.stdout + result.stderr
    )


async def test_an_alert_that_cannot_be_delivered_is_only_logged(
    capsys: pytest.CaptureFixture[str],
) -> None:
    closed = f"http://127.0.0.1:{free_port()}/hook?token=webhook-secret"
    settings = IngestSettings(INGEST_ALERT_WEBHOOK_URL=closed, alert_webhook_url=closed)
    run = Run(
        stats_data_id="0003445099",
        status="failed",
        trigger="test",
        attempt=1,
        error_code="estat-unavailable",
        error="e-Stat getStatsData failed after 5 attempts",
        finished_at=datetime.now(UTC),
    )

    assert await alert_run_failed(settings, run) is False

    output = capsys.readouterr().out
    assert "ingest.run_failed" in output
    assert "ingest.alert_not_delivered" in output
    assert "webhook-secret" not in output
