"""Analytics on the real stack behind the gateway: data published on the bus reach stats, stats
announces them, the analytics worker precomputes the map's forecasts and each prefecture's
series forecast and recomputes them for a new data version; forecasts, jobs and policies through
the gateway.

Births are used for the map: their values come from SSDSE-B alone, whereas the population also
has a 2020 value from the 2020 census table when that is loaded."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import httpx
import psutil
import psycopg
import pytest

from chiiki_analytics.config import AnalyticsSettings
from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import delete_redis_keys, import_test_helper, log_lines
from chiiki_devstack.stack import Stack
from chiiki_shared.bus import create_celery_app
from chiiki_stats.config import StatsSettings

pytestmark = pytest.mark.e2e

MAP = "/api/forecasts/prefectures"
SERIES = "/api/forecasts"
HOKKAIDO_BIRTHS = {"indicator": "vital.births", "region": "01000"}
SSDSE = "ssdse-b-2023"


def _feed() -> ModuleType:
    """The analytics tests' builder of bus payloads from the recorded tables."""
    return import_test_helper(REPO_ROOT / "services" / "analytics" / "tests" / "stats_feed.py")


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=15) as client:
        yield client


@pytest.fixture(scope="module")
def publish(stack: Stack) -> Callable[..., None]:
    """Publish a recorded table (optionally only some of its cells) as ingest does: batches,
    then ``stats.publish_version``, sent by name on the bus."""
    feed = _feed()
    bus = create_celery_app(StatsSettings())

    def send(table: str, **keep: Any) -> None:
        batches, payload = feed.messages(table, **keep)
        for batch in batches:
            bus.send_task("stats.apply_batch", args=[batch])
        bus.send_task("stats.publish_version", args=[payload])

    return send


# The worker runs one task at a time: a map may wait behind other indicators' precomputations
# (each fits 47 series, about 90 s on a loaded 2-CPU machine).
def wait_until(check: Callable[[], Any], within: float = 300, what: str = "") -> Any:
    deadline = time.monotonic() + within
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def stored_map(
    gateway: httpx.Client, headers: dict[str, str], last: int, *, not_version: str = ""
) -> dict | None:
    """The births map for 2025 once it is made from data ending in ``last``, from a data version
    other than ``not_version``, and not stale."""
    response = gateway.get(
        MAP, params={"indicator": "vital.births", "period": 2025}, headers=headers
    )
    if response.status_code != 200:
        assert response.status_code == 503, response.text
        return None
    body = response.json()
    periods = {r["last_observed"]["year"] for r in body["regions"] if r["value"] is not None}
    fresh = body["data_version"] != not_version and not body["stale"]
    return body if periods == {last} and fresh else None


def series(gateway: httpx.Client, headers: dict[str, str], **extra: str) -> httpx.Response:
    response = gateway.get(SERIES, params=HOKKAIDO_BIRTHS, headers={**headers, **extra})
    assert response.status_code in (200, 304), response.text
    return response


# Hokkaido: the first prefecture the worker stores (one region per task, in code order).
def stored_series(gateway: httpx.Client, headers: dict[str, str]) -> httpx.Response | None:
    response = series(gateway, headers)
    return response if response.headers["x-forecast-source"] == "stored" else None


def analytics_database() -> psycopg.Connection:
    url = AnalyticsSettings().service_database_url.set(drivername="postgresql")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


def series_is_stored() -> bool:
    """Hokkaido's births series is in the worker's store (of whichever version)."""
    with analytics_database() as conn:
        [(count,)] = conn.execute(
            "SELECT count(*) FROM analytics.series_forecasts"
            " WHERE indicator = %s AND region_code = %s",
            (HOKKAIDO_BIRTHS["indicator"], HOKKAIDO_BIRTHS["region"]),
        ).fetchall()
    return count > 0


def forget_stored_series() -> None:
    """Remove Hokkaido's stored births series and every cached forecast answer, so the next
    request fits the model."""
    with analytics_database() as conn:
        conn.execute(
            "DELETE FROM analytics.series_forecasts WHERE indicator = %s AND region_code = %s",
            (HOKKAIDO_BIRTHS["indicator"], HOKKAIDO_BIRTHS["region"]),
        )
    settings = AnalyticsSettings()
    delete_redis_keys(settings, "q:*")


def check_stored_series_is_the_fit(service: httpx.Client, headers: dict[str, str]) -> bytes:
    """The stored series answer: byte for byte the on-demand fit, revalidated with a 304. Asked
    of the analytics service itself: the gateway's read cache would give the fitted read the
    stored answer it keeps (X-Forecast-Source included) for the rest of its second."""
    # A read before the worker stored it was fitted and cached (the same bytes, for an hour):
    # wait for the stored row, then forget the cached answers.
    wait_until(series_is_stored, within=240, what="the stored series forecast")
    delete_redis_keys(AnalyticsSettings(), "q:*")
    stored = wait_until(
        lambda: stored_series(service, headers), within=60, what="the stored series answer"
    )
    etag = stored.headers["etag"]
    assert series(service, headers, **{"If-None-Match": etag}).status_code == 304
    forget_stored_series()
    fitted = series(service, headers)
    assert fitted.headers["x-forecast-source"] == "fitted"
    assert (fitted.content, fitted.headers["etag"]) == (stored.content, etag)
    return stored.content


def test_the_worker_precomputes_and_recomputes_on_new_data(
    gateway: httpx.Client, admin_headers, publish, stack: Stack
) -> None:
    publish("census-c01-1920-2015")
    publish(SSDSE)
    # Whether or not that changed anything in stats, reading the map asks the worker for it.
    first = wait_until(
        lambda: stored_map(gateway, admin_headers(), 2020), what="the first precomputation"
    )
    assert len(first["regions"]) == 47
    # The same task stores each prefecture's series forecast (GET /api/forecasts).
    with httpx.Client(base_url=stack.settings.service_url("analytics"), timeout=15) as service:
        full_series = check_stored_series_is_the_fit(service, admin_headers())
    # A new version (the values published up to FY2019: another real vintage) is announced by
    # stats and the stored forecasts are recomputed without anyone asking.
    publish(SSDSE, keep=lambda cell: cell["time"] < "2020")
    older = wait_until(
        lambda: stored_map(gateway, admin_headers(), 2019, not_version=first["data_version"]),
        what="the recomputation for the FY2019 vintage",
    )
    # Stats serves the new version: the series answer made from the old one is never given.
    newer = series(gateway, admin_headers())
    assert newer.content != full_series
    assert newer.json()["history"][-1]["period"] == "FY2019"
    publish(SSDSE)
    latest = wait_until(
        lambda: stored_map(gateway, admin_headers(), 2020, not_version=older["data_version"]),
        what="the recomputation for the full table",
    )
    assert [r["region"]["code"] for r in latest["regions"]] == [f"{n:02d}000" for n in range(1, 48)]


def test_the_worker_reads_stats_as_its_own_client_never_as_the_admin(
    gateway: httpx.Client, admin_headers, publish, stack: Stack
) -> None:
    publish(SSDSE)
    wait_until(lambda: stored_map(gateway, admin_headers(), 2020), what="the precomputation")
    analytics = stack.service_clients()["analytics"]
    # The worker asked auth for client-credentials tokens with its own client...
    issued = log_lines(stack, "api-auth", analytics["id"], event="client_token_issued")
    assert issued
    assert {line["scope"] for line in issued} == {"stats:read"}
    # ...and never logged in as the admin: every admin login came through the gateway (the
    # tests' own), and the admin's sessions are exactly those logins.
    admin_id = gateway.get("/api/auth/me", headers=admin_headers()).json()["id"]
    logins = log_lines(stack, "api-auth", admin_id, event="login_succeeded")
    assert logins
    for login in logins:
        # Looked up one by one: the gateway's access log is buffered (lines land within 1 s).
        [access] = log_lines(stack, "gateway-access", login["request_id"])
        assert access["path"] == "/api/auth/login"
    with psycopg.connect(os.environ["DATABASE_URL"]) as connection:
        [(sessions,)] = connection.execute(
            "SELECT count(*) FROM auth.sessions WHERE user_id = %s", (admin_id,)
        ).fetchall()
    assert sessions == len(logins)
    # It could not have: no analytics process holds the admin's (or auth's) credentials.
    for name in ("api-analytics", "worker-analytics"):
        running = stack.table.running(name)
        assert running is not None
        env = psutil.Process(running.pid).environ()
        assert env["ANALYTICS_CLIENT_ID"] == analytics["id"]
        leaked = {"BOOTSTRAP_ADMIN_EMAIL", "BOOTSTRAP_ADMIN_PASSWORD", "AUTH_BOOTSTRAP_CLIENTS"}
        assert leaked.isdisjoint(env)


def test_a_forecast_through_the_gateway_carries_the_request_id_to_stats(
    gateway: httpx.Client, admin_headers, stack: Stack
) -> None:
    request_id = f"e2e-analytics-{uuid.uuid4().hex[:12]}"
    response = gateway.get(
        "/api/forecasts",
        params={"indicator": "population.total", "region": "13000", "as_of": 2017, "horizon": 3},
        headers={**admin_headers(), "X-Request-ID": request_id},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [p["period"] for p in body["forecasts"]] == ["FY2018", "FY2019", "FY2020"]
    assert all(p["actual"] is not None for p in body["forecasts"])
    stats_log = (stack.settings.log_dir / "api-stats.log").read_text()
    calls = [json.loads(line) for line in stats_log.splitlines() if request_id in line]
    assert {line["path"] for line in calls if line.get("event") == "http_request"} >= {
        "/api/comparison",
        "/api/indicators/population.total",
    }


def test_anonymous_reads_are_refused_by_default(gateway: httpx.Client) -> None:
    response = gateway.get("/api/forecasts", params={"indicator": "population.total"})
    assert response.status_code == 401


def test_a_job_runs_on_the_worker(gateway: httpx.Client, admin_headers) -> None:
    params = {"kind": "forecast", "indicator": "vital.deaths", "region": "27000", "as_of": 2018}
    submitted = gateway.post("/api/analytics/jobs", json=params, headers=admin_headers())
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["id"]
    again = gateway.post("/api/analytics/jobs", json=params, headers=admin_headers())
    assert again.json()["id"] == job_id

    def finished() -> dict | None:
        job = gateway.get(f"/api/analytics/jobs/{job_id}", headers=admin_headers()).json()
        return job if job["status"] in ("succeeded", "failed") else None

    job = wait_until(finished, within=60, what="the job")
    assert job["status"] == "succeeded", job["error"]
    assert job["result"]["forecasts"][0]["period"] == "FY2019"


def test_policies_and_their_effect_through_the_gateway(
    gateway: httpx.Client, admin_headers
) -> None:
    policy = {
        "name": "e2e: Hokkaido 2015",
        "region": "01000",
        "start_period": 2015,
        "target_indicators": ["population.total"],
    }
    created = gateway.post("/api/analytics/policies", json=policy, headers=admin_headers())
    assert created.status_code == 201, created.text
    path = f"/api/analytics/policies/{created.json()['id']}"
    effect = gateway.get(f"{path}/effect", headers=admin_headers())
    assert effect.status_code == 200, effect.text
    (result,) = effect.json()["indicators"]
    assert result["status"] == "estimated"
    assert len(result["difference_in_differences"]["comparison_regions"]) == 5
    assert gateway.delete(path, headers=admin_headers()).status_code == 204
    gone = gateway.get(path, headers=admin_headers())
    assert gone.status_code == 404
    assert gone.json()["code"] == "not-found"


def test_the_analytics_docs_are_served(gateway: httpx.Client) -> None:
    spec = gateway.get("/api/analytics/openapi.json").json()
    assert {"/api/forecasts", "/api/forecasts/prefectures", "/api/analytics/jobs"} <= set(
        spec["paths"]
    )
    assert spec["info"]["title"] == "Chiiki analytics"
