"""The admin API: runs (202 and their id, lists with filters, detail, retry), the catalog, the
problem bodies of 401/403/404/409/422, and the run metrics on /metrics."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from chiiki_devstack.pytest_plugin import METRICS_TOKEN

from .conftest import Api, Source

MISSING = "0000000001"  # the replay knows no such table: e-Stat's unknown-id error (STATUS 101)


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, f"/problems/{code}")
    assert body["instance"] == response.request.url.path
    return body


async def test_a_run_is_accepted_with_its_id(api: Api, source: Source, unique) -> None:
    stats_data_id = unique("census-202")
    source.copy("census-c01-1920-2015", stats_data_id)

    response = await api.admin.post("/api/ingest/runs", json={"stats_data_id": stats_data_id})

    assert response.status_code == 202
    body = response.json()
    run_id = uuid.UUID(body["id"])
    assert body["status"] == "queued"
    assert body["trigger"] == "api"
    assert body["href"] == response.headers["location"] == f"/api/ingest/runs/{run_id}"
    # Committed before the answer: the run can be read at once.
    detail = await api.admin.get(body["href"])
    assert detail.status_code == 200
    assert detail.json()["stats_data_id"] == stats_data_id
    await api.wait(body["id"])


async def test_runs_are_listed_newest_first_with_filters(api: Api, source: Source, unique) -> None:
    good, bad = unique("census-list"), unique("missing-list")
    source.copy("census-c01-1920-2015", good)
    started = datetime.now(UTC) - timedelta(seconds=1)
    first = await api.ingest(good)
    second = await api.ingest(good)

    listed = (await api.admin.get("/api/ingest/runs", params={"stats_data_id": good})).json()
    assert [run["id"] for run in listed["items"]] == [second["id"], first["id"]]
    assert listed["next"] is None
    assert {run["outcome"] for run in listed["items"]} == {"published", "unchanged"}

    page = (
        await api.admin.get("/api/ingest/runs", params={"stats_data_id": good, "limit": 1})
    ).json()
    assert [run["id"] for run in page["items"]] == [second["id"]]
    # The next link keeps the filters and the limit, and carries the cursor.
    assert page["next"].startswith(f"/api/ingest/runs?stats_data_id={good}&limit=1&cursor=")
    page = (await api.admin.get(page["next"])).json()
    assert ([run["id"] for run in page["items"]], page["next"]) == ([first["id"]], None)

    failed = await api.ingest(bad)
    by_status = await api.admin.get(
        "/api/ingest/runs", params=[("status", "failed"), ("since", started.isoformat())]
    )
    ids = [run["id"] for run in by_status.json()["items"]]
    assert failed["id"] in ids
    assert first["id"] not in ids
    later = await api.admin.get(
        "/api/ingest/runs",
        params={
            "stats_data_id": good,
            "since": (datetime.now(UTC) + timedelta(hours=1)).isoformat(),
        },
    )
    assert later.json()["items"] == []
    by_trigger = await api.admin.get(
        "/api/ingest/runs", params={"stats_data_id": good, "trigger": "schedule"}
    )
    assert by_trigger.json() == {"items": [], "next": None}


async def test_a_missing_table_fails_its_run_and_alerts(api: Api, source: Source, alerts) -> None:
    run = await api.ingest(MISSING)

    assert run["status"] == "failed"
    assert run["error"]["code"] == "estat-request"
    assert "STATUS 101" in run["error"]["message"]
    assert run["version"] is None
    alert = alerts.for_run(run["id"])
    assert alert["event"] == "ingest.run_failed"
    assert alert["stats_data_id"] == MISSING
    assert alert["error_code"] == "estat-request"
    assert "appId" not in str(alert)
    assert "pipeline-test-app-id" not in str(alert)


async def test_a_missing_table_blocks_nothing_else(api: Api, source: Source, unique) -> None:
    present = unique("census-beside")
    source.copy("census-c01-1920-2015", present)
    missing_run = await api.run(MISSING)
    present_run = await api.run(present)

    results = await asyncio.gather(api.wait(missing_run), api.wait(present_run))

    assert [r["status"] for r in results] == ["failed", "succeeded"]


async def test_a_source_that_stays_down_fails_the_run(
    api: Api, source: Source, unique, alerts
) -> None:
    stats_data_id = unique("census-down")
    source.copy("census-c01-1920-2015", stats_data_id)
    source.faults({"kind": "status", "status": 503, "statsDataId": stats_data_id, "count": None})
    try:
        run = await api.ingest(stats_data_id)
    finally:
        source.clear_faults()

    assert run["status"] == "failed"
    assert run["error"]["code"] == "estat-unavailable"
    assert alerts.for_run(run["id"])["error_code"] == "estat-unavailable"


async def test_a_failed_run_is_retried_as_a_new_run(api: Api, source: Source, unique) -> None:
    stats_data_id = unique("census-retry")
    # The table is not there yet: the first run fails...
    failed = await api.ingest(stats_data_id)
    assert failed["status"] == "failed"
    # ...it is published meanwhile, and the retry succeeds.
    source.copy("census-c01-1920-2015", stats_data_id)

    response = await api.admin.post(f"/api/ingest/runs/{failed['id']}/retry")

    assert response.status_code == 202
    retry = response.json()
    assert retry["retry_of"] == failed["id"]
    assert retry["trigger"] == "retry"
    assert retry["id"] != failed["id"]
    done = await api.wait(retry["id"])
    assert (done["status"], done["retry_of"]) == ("succeeded", failed["id"])
    # A succeeded run is not retried.
    body = assert_problem(
        await api.admin.post(f"/api/ingest/runs/{retry['id']}/retry"), 409, "run-not-retryable"
    )
    assert body["run_status"] == "succeeded"


async def test_unknown_runs_are_404(api: Api) -> None:
    missing = uuid.uuid4()
    body = assert_problem(await api.admin.get(f"/api/ingest/runs/{missing}"), 404, "run-not-found")
    assert str(missing) in body["detail"]
    assert_problem(await api.admin.post(f"/api/ingest/runs/{missing}/retry"), 404, "run-not-found")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stats_data_id": "../etc/passwd"}, "body.stats_data_id"),
        ({"stats_data_id": "x" * 33}, "body.stats_data_id"),
        ({}, "body.stats_data_id"),
        ({"stats_data_id": "0003445099", "filters": {"appId": "x"}}, "body.filters"),
        ({"stats_data_id": "0003445099", "priority": 1}, "body.priority"),
    ],
)
async def test_invalid_run_requests_are_422(api: Api, body: dict, field: str) -> None:
    problem = assert_problem(
        await api.admin.post("/api/ingest/runs", json=body), 422, "validation-failed"
    )
    assert field in [error["field"] for error in problem["errors"]]


async def test_invalid_query_and_path_values_are_422(api: Api) -> None:
    problem = assert_problem(
        await api.admin.get("/api/ingest/runs/not-a-uuid"), 422, "validation-failed"
    )
    assert problem["errors"][0]["field"] == "path.run_id"
    problem = assert_problem(
        await api.admin.get("/api/ingest/runs", params={"status": "done", "limit": 0}),
        422,
        "validation-failed",
    )
    assert {e["field"] for e in problem["errors"]} == {"query.status.0", "query.limit"}


async def test_the_api_is_for_admins_only(api: Api) -> None:
    assert_problem(await api.anonymous.get("/api/ingest/runs"), 401, "authentication-required")
    assert_problem(
        await api.anonymous.get("/api/ingest/runs", headers=api.user_headers), 403, "forbidden"
    )
    assert_problem(
        await api.anonymous.post(
            "/api/ingest/runs", json={"stats_data_id": "x"}, headers=api.user_headers
        ),
        403,
        "forbidden",
    )


async def test_the_catalog_is_listed_added_to_and_updated(api: Api, source: Source, unique) -> None:
    listed = (await api.admin.get("/api/ingest/catalog")).json()["items"]
    demo = {entry["stats_data_id"]: entry for entry in listed}
    census = demo["census-c01-1920-2015"]
    assert (census["origin"], census["schedule"], census["area_dimension"]) == (
        "catalog",
        "daily",
        "area",
    )
    assert census["quality"] == {"unknown_region": "block"}

    stats_data_id = unique("catalog")
    source.copy("census-c01-1920-2015", stats_data_id)  # entries are checked with getMetaInfo
    created = await api.admin.post(
        "/api/ingest/catalog",
        json={"stats_data_id": stats_data_id, "title": "テスト", "schedule": "0 4 * * 1"},
    )
    assert created.status_code == 201
    assert created.headers["location"] == f"/api/ingest/catalog/{stats_data_id}"
    entry = created.json()
    assert (entry["origin"], entry["enabled"], entry["current"]["version"]) == ("api", True, None)
    assert_problem(
        await api.admin.post("/api/ingest/catalog", json={"stats_data_id": stats_data_id}),
        409,
        "catalog-entry-exists",
    )

    updated = await api.admin.patch(
        f"/api/ingest/catalog/{stats_data_id}",
        json={"enabled": False, "quality": {"jump": "block"}, "filters": {"cdArea": "13000"}},
    )
    assert updated.status_code == 200
    entry = updated.json()
    assert (entry["enabled"], entry["quality"], entry["filters"]) == (
        False,
        {"jump": "block"},
        {"cdArea": "13000"},
    )
    assert entry["title"] == "テスト"
    assert (await api.admin.get(f"/api/ingest/catalog/{stats_data_id}")).json() == entry


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"schedule": "at noon"}, "body.schedule"),
        ({"quality": {"duplicate_cell": "warn"}}, "body.quality"),
        ({"quality": {"jump": "ignore"}}, "body.quality.jump"),
        ({"area_dimension": "time"}, "body"),
        ({"stats_data_id": "other"}, "body.stats_data_id"),
        ({"max_shrink": 1.5}, "body.max_shrink"),
    ],
)
async def test_invalid_catalog_updates_are_422(api: Api, patch: dict, field: str) -> None:
    problem = assert_problem(
        await api.admin.patch("/api/ingest/catalog/census-c01-1920-2015", json=patch),
        422,
        "validation-failed",
    )
    assert any(error["field"].startswith(field) for error in problem["errors"]), problem


async def test_unknown_catalog_entries_are_404(api: Api) -> None:
    assert_problem(
        await api.admin.get("/api/ingest/catalog/no-such-table"), 404, "catalog-entry-not-found"
    )
    assert_problem(
        await api.admin.patch("/api/ingest/catalog/no-such-table", json={"enabled": False}),
        404,
        "catalog-entry-not-found",
    )


async def test_run_outcomes_are_metrics(api: Api, source: Source, unique) -> None:
    stats_data_id = unique("census-metrics")
    source.copy("census-c01-1920-2015", stats_data_id)
    await api.ingest(stats_data_id)
    # The run-derived gauges are refreshed every INGEST_METRICS_REFRESH_SECONDS (0.5 here).
    scraper = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    published = f'ingest_cells_published_total{{stats_data_id="{stats_data_id}"}}'
    deadline = time.monotonic() + 60
    while published not in (text := (await api.anonymous.get("/metrics", headers=scraper)).text):
        assert time.monotonic() < deadline, text
        await asyncio.sleep(0.1)

    assert "# TYPE ingest_runs gauge" in text
    assert 'ingest_runs{status="succeeded"}' in text
    assert 'ingest_runs{status="cancelled"}' in text
    assert "# TYPE ingest_runs_created_total counter" in text
    assert "ingest_runs_total" not in text  # a "counter" that went down when runs moved on
    created = re.search(r"^ingest_runs_created_total (\d+)\.0$", text, re.MULTILINE)
    assert created is not None
    assert int(created.group(1)) >= 1
    assert f'ingest_cells_published_total{{stats_data_id="{stats_data_id}"}} 2880.0' in text
    assert f'ingest_last_success_timestamp_seconds{{stats_data_id="{stats_data_id}"}}' in text
    today = datetime.now(UTC).astimezone(_tokyo()).date().isoformat()
    # Over every run of every trigger it was no measure of anything: the seed's is the ticks'.
    assert "ingest_run_success_ratio" not in text
    assert f'ingest_runs_finished_by_day{{day="{today}",status="failed"}}' in text
    assert 'ingest_run_duration_seconds_bucket{le="+Inf"}' in text


def _tokyo():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Tokyo")


async def test_the_catalog_is_listed_by_cursor(api: Api) -> None:
    whole = (await api.admin.get("/api/ingest/catalog", params={"limit": 500})).json()
    assert whole["next"] is None
    paged, url = [], "/api/ingest/catalog?limit=3"
    while url is not None:
        response = await api.admin.get(url)
        assert response.status_code == 200, response.text
        paged.extend(response.json()["items"])
        url = response.json()["next"]
    ids = [entry["stats_data_id"] for entry in paged]
    assert ids == [entry["stats_data_id"] for entry in whole["items"]]
    assert ids == sorted(set(ids))
    assert "census-c01-1920-2015" in ids
