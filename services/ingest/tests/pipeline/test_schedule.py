"""The schedule: beat entries built from the catalog and the settings, and the scheduling tasks
enqueueing each enabled catalog table."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from celery.schedules import crontab

from chiiki_ingest import catalog
from chiiki_ingest.config import DEFAULT_CATALOG, IngestSettings
from chiiki_ingest.models import CatalogEntry, Run
from chiiki_ingest.schedule import beat_schedule
from chiiki_shared.db import session_scope

from .conftest import Api, Source, Workers

DEMO_TABLES = [
    "census-c01-1920-2015",
    "0003445099",
    "ssdse-b-2023",
    "ssdse-a-2023",
    "census-0003410379",
    "census-0003410380",
    "census-2015-on-2020-areas",
    "census-japanese-2010-2015",
]


def test_the_repository_catalog_lists_the_demo_tables_daily() -> None:
    specs = catalog.load(DEFAULT_CATALOG)
    assert [spec.stats_data_id for spec in specs] == DEMO_TABLES
    assert {(spec.schedule, spec.enabled) for spec in specs} == {("daily", True)}
    assert all(spec.attribution for spec in specs)


def test_beat_sweeps_the_schedule_every_minute_and_runs_the_recovery() -> None:
    """The catalog's crons are not beat entries: a minute's sweep reads them from the database,
    so a schedule changed through the API needs no restart of beat."""
    settings = IngestSettings(schedule_daily="30 4 * * *", recovery_interval_seconds=45)
    schedule = beat_schedule(settings)

    assert set(schedule) == {"ingest.schedule_due", "ingest.recover_runs", "auth.purge_sessions"}
    sweep = schedule["ingest.schedule_due"]
    assert (sweep["task"], sweep["args"], sweep["options"]) == (
        "ingest.schedule_due",
        [{}],
        {"expires": 60},
    )
    assert sweep["schedule"] == crontab()
    recovery = schedule["ingest.recover_runs"]
    assert (recovery["task"], recovery["schedule"]) == ("ingest.recover_runs", 45)


def test_beat_sends_the_auth_purge_by_name_every_hour() -> None:
    """The single beat also drives the auth service's purge, sent by name to the auth queue
    (the ingest app never imports auth code)."""
    purge = beat_schedule(IngestSettings())["auth.purge_sessions"]
    assert purge == {
        "task": "auth.purge_sessions",
        "schedule": 3600,
        "args": [{}],
        "options": {"queue": "auth", "expires": 3600},
    }


def test_the_schedule_can_be_switched_off() -> None:
    schedule = beat_schedule(IngestSettings(schedule_enabled=False))
    assert set(schedule) == {"ingest.recover_runs", "auth.purge_sessions"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("version: 1\ntables: [{stats_data_id: a, schedule: 'every day'}]", "cron"),
        ("version: 1\ntables: [{stats_data_id: a}, {stats_data_id: a}]", "listed twice"),
        ("version: 1\ntables: [{stats_data_id: a, quality: {duplicate_cell: warn}}]", "adjust"),
        ("version: 1\ntables: [{stats_data_id: a, filters: {appId: x}}]", "narrowing"),
        ("version: 1\ntables: [{stats_data_id: a, area_dimension: time}]", "must differ"),
        ("version: 2\ntables: []", "version"),
    ],
)
def test_a_bad_catalog_is_refused(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=error):
        catalog.load(path)


async def runs_of(api: Api, stats_data_ids: list[str]) -> dict[str, list[str]]:
    async with session_scope(api.runtime.sessions) as session:
        rows = await session.execute(
            sa.select(Run.stats_data_id, Run.trigger).where(Run.stats_data_id.in_(stats_data_ids))
        )
        found: dict[str, list[str]] = {}
        for stats_data_id, trigger in rows:
            found.setdefault(stats_data_id, []).append(trigger)
        return found


async def test_the_scheduling_task_enqueues_each_enabled_table_of_its_schedule(
    api: Api, source: Source, workers: Workers, unique
) -> None:
    cron = "17 5 * * *"  # a schedule only this test uses
    on, off, other = unique("sched-on"), unique("sched-off"), unique("sched-other")
    for stats_data_id in (on, off, other):
        source.copy("census-c01-1920-2015", stats_data_id)
    entries = [
        {"stats_data_id": on, "schedule": cron},
        {"stats_data_id": off, "schedule": cron, "enabled": False},
        {"stats_data_id": other, "schedule": "manual"},
    ]
    for entry in entries:
        response = await api.admin.post("/api/ingest/catalog", json=entry)
        assert response.status_code == 201, response.text

    workers.send("ingest.schedule_catalog", {"schedule": cron})
    for _ in range(100):
        if (await runs_of(api, [on])).get(on):
            break
        await asyncio.sleep(0.1)

    assert await runs_of(api, [on, off, other]) == {on: ["schedule"]}
    listed = await api.admin.get("/api/ingest/runs", params={"stats_data_id": on})
    [run] = listed.json()["items"]
    assert (await api.wait(run["id"]))["status"] == "succeeded"


async def test_bootstrap_enqueues_enabled_tables_without_a_version(
    api: Api, source: Source, workers: Workers, unique
) -> None:
    loaded, fresh = unique("boot-loaded"), unique("boot-fresh")
    for stats_data_id in (loaded, fresh):
        source.copy("census-c01-1920-2015", stats_data_id)
        await api.admin.post("/api/ingest/catalog", json={"stats_data_id": stats_data_id})
    assert (await api.ingest(loaded))["status"] == "succeeded"
    # Only this test's entries are enabled while it runs (the demo tables are big).
    async with session_scope(api.runtime.sessions) as session:
        enabled = list(
            await session.scalars(
                sa.select(CatalogEntry.stats_data_id).where(
                    CatalogEntry.enabled.is_(True),
                    CatalogEntry.stats_data_id.not_in([loaded, fresh]),
                )
            )
        )
        await session.execute(
            sa.update(CatalogEntry)
            .where(CatalogEntry.stats_data_id.in_(enabled))
            .values(enabled=False)
        )
    try:
        workers.send("ingest.bootstrap_catalog", {})
        for _ in range(100):
            if (await runs_of(api, [fresh])).get(fresh):
                break
            await asyncio.sleep(0.1)
        found = await runs_of(api, [loaded, fresh])
    finally:
        async with session_scope(api.runtime.sessions) as session:
            await session.execute(
                sa.update(CatalogEntry)
                .where(CatalogEntry.stats_data_id.in_(enabled))
                .values(enabled=True)
            )

    assert found == {loaded: ["api"], fresh: ["bootstrap"]}
    listed = await api.admin.get("/api/ingest/runs", params={"stats_data_id": fresh})
    [run] = listed.json()["items"]
    assert (await api.wait(run["id"]))["status"] == "succeeded"
