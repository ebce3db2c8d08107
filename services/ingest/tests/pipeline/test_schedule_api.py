"""The schedule an admin can see and act on: GET /api/ingest/schedule (cron, time zone, latest
tick and outcome, next tick; cursor paging), POST /api/ingest/schedule/{id}/run, and the minute's
sweep picking up a schedule changed through the API without restarting beat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from chiiki_ingest import ticks
from chiiki_ingest.models import CatalogEntry
from chiiki_shared.db import session_scope

from .conftest import Api, Source, Workers
from .test_admin_api import assert_problem
from .test_schedule_ticks import add_entry, runs_of, until


async def listed(api: Api, **params: Any) -> list[dict[str, Any]]:
    """Every page of the schedule, following ``next``."""
    items: list[dict[str, Any]] = []
    response = await api.admin.get("/api/ingest/schedule", params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        if body["next"] is None:
            return items
        response = await api.admin.get(body["next"])


def next_0653_after(moment: datetime) -> datetime:
    local = moment.astimezone(ticks.TOKYO)
    due = local.replace(hour=6, minute=53, second=0, microsecond=0)
    return (due if due > local else due + timedelta(days=1)).astimezone(UTC)


async def test_the_schedule_lists_each_scheduled_table_by_cursor(
    api: Api, source: Source, unique
) -> None:
    cron = "53 6 * * *"
    stats_data_id = unique("sched-list")
    manual = unique("sched-manual")
    await add_entry(api, source, stats_data_id, cron)
    await add_entry(api, source, manual, "manual")

    whole = await listed(api, limit=200)
    paged = await listed(api, limit=2)
    assert paged == whole
    ids = [item["stats_data_id"] for item in whole]
    assert ids == sorted(set(ids))
    assert stats_data_id in ids
    assert manual not in ids
    assert "census-c01-1920-2015" in ids  # the demo tables are daily
    [item] = [item for item in whole if item["stats_data_id"] == stats_data_id]
    next_tick = datetime.fromisoformat(item.pop("next_tick_at"))
    assert datetime.fromisoformat(item.pop("scheduled_since")) <= datetime.now(UTC)
    assert next_tick == next_0653_after(datetime.now(UTC))
    assert item == {
        "stats_data_id": stats_data_id,
        "title": None,
        "schedule": cron,
        "cron": cron,
        "time_zone": "Asia/Tokyo",
        "last_tick": None,
        "run_now": f"/api/ingest/schedule/{stats_data_id}/run",
    }
    [daily] = [item for item in whole if item["stats_data_id"] == "census-c01-1920-2015"]
    assert (daily["schedule"], daily["cron"]) == ("daily", "0 3 * * *")


async def test_a_cursor_the_schedule_did_not_issue_is_422(api: Api) -> None:
    for cursor in ("not-a-cursor", "WzEsMl0"):  # the second is [1,2]: wrong length
        problem = assert_problem(
            await api.admin.get("/api/ingest/schedule", params={"cursor": cursor}),
            422,
            "validation-failed",
        )
        assert [error["field"] for error in problem["errors"]] == ["query.cursor"]


async def test_run_now_queues_a_run_of_the_table(api: Api, source: Source, unique) -> None:
    stats_data_id = unique("sched-run-now")
    await add_entry(api, source, stats_data_id, "daily")

    response = await api.admin.post(f"/api/ingest/schedule/{stats_data_id}/run")
    assert response.status_code == 202, response.text
    run = response.json()
    assert (run["stats_data_id"], run["trigger"], run["status"]) == (
        stats_data_id,
        "run-now",
        "queued",
    )
    assert response.headers["Location"] == f"/api/ingest/runs/{run['id']}"
    busy = assert_problem(
        await api.admin.post(f"/api/ingest/schedule/{stats_data_id}/run"),
        409,
        "active-run-exists",
    )
    assert busy["active_run_id"] == run["id"]
    assert (await api.wait(run["id"]))["status"] == "succeeded"
    audit = await api.admin.get("/api/ingest/audit", params={"target_id": run["id"]})
    assert [row["action"] for row in audit.json()["items"]] == ["run.triggered"]

    await api.admin.patch(f"/api/ingest/catalog/{stats_data_id}", json={"enabled": False})
    assert_problem(
        await api.admin.post(f"/api/ingest/schedule/{stats_data_id}/run"),
        409,
        "catalog-entry-disabled",
    )
    assert_problem(
        await api.admin.post("/api/ingest/schedule/no-such-table/run"),
        404,
        "catalog-entry-not-found",
    )


async def test_a_schedule_changed_through_the_api_ticks_without_restarting_beat(
    api: Api, source: Source, workers: Workers, unique
) -> None:
    stats_data_id = unique("sched-changed")
    await add_entry(api, source, stats_data_id, "manual")
    before = datetime.now(UTC)
    response = await api.admin.patch(
        f"/api/ingest/catalog/{stats_data_id}", json={"schedule": "* * * * *"}
    )
    assert response.status_code == 200, response.text
    async with session_scope(api.runtime.sessions) as session:
        entry = await session.get(CatalogEntry, stats_data_id)
        assert entry is not None
        assert entry.scheduled_since >= before  # changing the schedule restarts what is due
        # On this schedule since a while ago, so this minute's tick is due now.
        await session.execute(
            sa.update(CatalogEntry)
            .where(CatalogEntry.stats_data_id == stats_data_id)
            .values(scheduled_since=before - timedelta(hours=1))
        )

    # What beat sends every minute; the sweep reads the catalog as the API left it.
    workers.send("ingest.schedule_due", {})
    [run] = await until("the swept run", lambda: runs_of(api, stats_data_id))
    assert run.trigger == "schedule"
    assert (await api.wait(str(run.id)))["status"] == "succeeded"

    [item] = [i for i in await listed(api, limit=200) if i["stats_data_id"] == stats_data_id]
    tick = item["last_tick"]
    assert tick == {
        "due_at": tick["due_at"],
        "outcome": "succeeded",
        "trigger": "schedule",
        "run_id": str(run.id),
        "run_href": f"/api/ingest/runs/{run.id}",
    }
    due = datetime.fromisoformat(tick["due_at"])
    assert (due.second, due.microsecond) == (0, 0)
    assert before - timedelta(minutes=1) < due <= datetime.now(UTC)
    assert item["cron"] == "* * * * *"
    assert datetime.fromisoformat(item["next_tick_at"]) > due


async def test_run_now_runs_the_daily_tick_for_every_scheduled_table(
    api: Api, source: Source, unique
) -> None:
    daily, busy, manual = unique("tick-now"), unique("tick-now-busy"), unique("tick-now-manual")
    for stats_data_id, schedule in ((daily, "daily"), (busy, "daily"), (manual, "manual")):
        await add_entry(api, source, stats_data_id, schedule)
    source.faults({"kind": "latency", "seconds": 5, "count": 1, "statsDataId": busy})
    started: list[dict[str, Any]] = []
    active = await api.run(busy)
    try:
        response = await api.admin.post("/api/ingest/schedule/run-now")

        assert response.status_code == 202, response.text
        body = response.json()
        started = body["started"]
        scheduled = {item["stats_data_id"] for item in await listed(api)}
        assert {run["stats_data_id"] for run in started} == scheduled - {busy}
        assert {daily, busy} <= scheduled
        assert manual not in scheduled
        assert {(run["trigger"], run["status"]) for run in started} == {("run-now", "queued")}
        assert body["busy"] == [{"stats_data_id": busy, "active_run_id": active}]
        audit = await api.admin.get("/api/ingest/audit", params={"action": "run.triggered"})
        triggered = {row["target_id"] for row in audit.json()["items"]}
        assert {run["id"] for run in started} <= triggered
    finally:  # nothing of this test's left running or scheduled for other tests
        for run in started:
            await api.admin.post(f"/api/ingest/runs/{run['id']}/cancel")
        for run in started:
            await api.wait(run["id"], "succeeded", "failed", "blocked", "cancelled")
        source.clear_faults()
        await api.wait(active)
        for stats_data_id in (daily, busy):
            await api.admin.patch(f"/api/ingest/catalog/{stats_data_id}", json={"enabled": False})
