"""The honest daily success rate: one outcome per catalog table and due scheduled tick (the
run the tick queued or found, never a later manual retry), missed ticks found by the API's
watchdog with an alert, and the metrics over those outcomes only."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from pydantic import SecretStr

from chiiki_devstack.pytest_plugin import METRICS_TOKEN
from chiiki_ingest import catalog, repository, ticks, watchdog
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.models import CatalogEntry, Run, ScheduleTick
from chiiki_shared.db import session_scope

from .conftest import AlertReceiver, Api, Source, Workers

CENSUS = "census-c01-1920-2015"


def test_due_times_follow_the_cron_in_tokyo() -> None:
    now = datetime(2026, 12, 2, 17, 59, tzinfo=UTC)  # 02:59 JST on the 3rd
    assert ticks.last_due("0 3 * * *", now) == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    assert ticks.next_due("0 3 * * *", now) == datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    exactly = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    assert ticks.last_due("0 3 * * *", exactly) == exactly  # beat's tick at the due second
    assert list(ticks.due_between("0 3 * * *", now - timedelta(days=2), now)) == [
        datetime(2026, 11, 30, 18, 0, tzinfo=UTC),
        datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
    ]


def test_the_success_ratio_counts_final_outcomes_only() -> None:
    counts = {"succeeded": 5, "unchanged": 2, "failed": 1, "blocked": 1, "missed": 1, "pending": 9}
    assert ticks.success_ratio(counts) == 0.7
    assert ticks.success_ratio({"pending": 3}) is None


async def tick_of(api: Api, stats_data_id: str) -> list[ScheduleTick]:
    async with session_scope(api.runtime.sessions) as session:
        rows = await session.scalars(
            sa.select(ScheduleTick)
            .where(ScheduleTick.stats_data_id == stats_data_id)
            .order_by(ScheduleTick.due_at)
        )
        return list(rows)


async def runs_of(api: Api, stats_data_id: str) -> list[Run]:
    async with session_scope(api.runtime.sessions) as session:
        rows = await session.scalars(
            sa.select(Run).where(Run.stats_data_id == stats_data_id).order_by(Run.queued_at)
        )
        return list(rows)


async def until(what: str, check, within: float = 120):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not (found := await check()):
        assert time.monotonic() < deadline, f"{what} not seen within {within}s"
        await asyncio.sleep(0.1)
    return found


async def last_tick(api: Api, stats_data_id: str) -> ticks.LastTick:
    async with session_scope(api.runtime.sessions) as session:
        return (await ticks.last_ticks(session))[stats_data_id]


async def metrics_text(api: Api, wanted: str, within: float = 60) -> str:
    scraper = {"Authorization": f"Bearer {METRICS_TOKEN}"}

    async def scrape() -> str | None:
        text = (await api.anonymous.get("/metrics", headers=scraper)).text
        return text if wanted in text else None

    return str(await until(f"metric line {wanted}", scrape, within))


async def add_entry(api: Api, source: Source, stats_data_id: str, cron: str) -> None:
    source.copy(CENSUS, stats_data_id)
    response = await api.admin.post(
        "/api/ingest/catalog", json={"stats_data_id": stats_data_id, "schedule": cron}
    )
    assert response.status_code == 201, response.text


async def test_a_failed_scheduled_tick_stays_failed_after_a_manual_retry(
    api: Api, source: Source, workers: Workers, unique
) -> None:
    cron = "41 6 * * *"  # a schedule only this test uses
    stats_data_id = unique("tick-failed")
    await add_entry(api, source, stats_data_id, cron)
    down = {"kind": "status", "status": 503, "retry_after": "1", "count": None}
    source.faults({**down, "statsDataId": stats_data_id, "endpoint": "getStatsData"})
    try:
        workers.send("ingest.schedule_catalog", {"schedule": cron})
        [run] = await until("the scheduled run", lambda: runs_of(api, stats_data_id))
        assert (await api.wait(str(run.id)))["status"] == "failed"
    finally:
        source.clear_faults()

    [tick] = await tick_of(api, stats_data_id)
    assert (tick.run_id, tick.trigger, tick.schedule) == (run.id, "schedule", cron)
    assert tick.due_at == ticks.last_due(cron, tick.ticked_at)
    assert tick.missed_at is None
    # The operator's retry succeeds; the scheduled tick's outcome is still the failure.
    retried = await api.admin.post(f"/api/ingest/runs/{run.id}/retry")
    assert retried.status_code == 202, retried.text
    assert (await api.wait(retried.json()["id"]))["status"] == "succeeded"
    last = await last_tick(api, stats_data_id)
    assert (last.outcome, last.trigger, last.run_id) == ("failed", "schedule", run.id)

    line = (  # prometheus_client writes the labels sorted by name
        f'ingest_schedule_last_tick_timestamp_seconds{{outcome="failed",'
        f'stats_data_id="{stats_data_id}",trigger="schedule"}} '
    )
    text = await metrics_text(api, line)
    [value] = [row.removeprefix(line) for row in text.splitlines() if row.startswith(line)]
    assert float(value) == tick.due_at.timestamp()
    day = tick.due_at.astimezone(ticks.TOKYO).date().isoformat()
    assert f'ingest_scheduled_outcomes{{day="{day}",outcome="failed",trigger="schedule"}}' in text
    assert f'ingest_scheduled_success_ratio{{day="{day}"}}' in text
    assert "# TYPE ingest_scheduled_success_ratio_30d gauge" in text
    assert "# TYPE ingest_schedule_ticks_missed_total counter" in text


async def test_a_tick_delivered_twice_queues_one_run(
    api: Api, source: Source, workers: Workers, unique
) -> None:
    cron = "43 6 * * *"
    stats_data_id = unique("tick-twice")
    await add_entry(api, source, stats_data_id, cron)

    workers.send("ingest.schedule_catalog", {"schedule": cron})
    [run] = await until("the scheduled run", lambda: runs_of(api, stats_data_id))
    assert (await api.wait(str(run.id)))["status"] == "succeeded"
    workers.send("ingest.schedule_catalog", {"schedule": cron})
    await workers.until_logged("ingest", "ingest.catalog_scheduled", stats_data_id)

    assert [r.id for r in await runs_of(api, stats_data_id)] == [run.id]
    last = await last_tick(api, stats_data_id)
    assert (last.outcome, last.trigger, last.run_id) == ("succeeded", "schedule", run.id)


async def test_a_tick_that_finds_an_active_run_takes_its_outcome(
    api: Api, source: Source, workers: Workers, unique
) -> None:
    cron = "47 6 * * *"
    stats_data_id = unique("tick-busy")
    await add_entry(api, source, stats_data_id, cron)
    slow = {"kind": "latency", "seconds": 6, "count": 1}
    source.faults({**slow, "statsDataId": stats_data_id, "endpoint": "getStatsData"})
    try:
        run_id = await api.run(stats_data_id)
        workers.send("ingest.schedule_catalog", {"schedule": cron})
        [tick] = await until("the tick", lambda: tick_of(api, stats_data_id))
        assert str(tick.run_id) == run_id
        assert tick.trigger == "api"
        assert (await last_tick(api, stats_data_id)).outcome == "pending"
        assert (await api.wait(run_id))["status"] == "succeeded"
    finally:
        source.clear_faults()

    assert len(await runs_of(api, stats_data_id)) == 1
    assert (await last_tick(api, stats_data_id)).outcome == "succeeded"


def last_0707_before(moment: datetime) -> datetime:
    """The latest 07:07 Asia/Tokyo at or before ``moment`` (plain arithmetic, not the cron)."""
    local = moment.astimezone(ticks.TOKYO)
    due = local.replace(hour=7, minute=7, second=0, microsecond=0)
    return (due if due <= local else due - timedelta(days=1)).astimezone(UTC)


async def test_ticks_that_never_ran_are_missed_once_and_alerted(
    api: Api,
    settings: IngestSettings,
    source: Source,
    workers: Workers,
    alerts: AlertReceiver,
    unique,
) -> None:
    cron = "7 7 * * *"
    stats_data_id = unique("tick-missed")
    await add_entry(api, source, stats_data_id, cron)
    grace = timedelta(seconds=settings.schedule_missed_after_seconds)
    newest = last_0707_before(datetime.now(UTC) - grace)
    expected = [newest - timedelta(days=2), newest - timedelta(days=1), newest]
    # The table has been on this schedule since just before the first of them (beat was down).
    async with session_scope(api.runtime.sessions) as session:
        await session.execute(
            sa.update(CatalogEntry)
            .where(CatalogEntry.stats_data_id == stats_data_id)
            .values(scheduled_since=expected[0] - timedelta(minutes=1))
        )

    # The in-process API has no webhook; the watchdog's pass here sends to the test's receiver.
    settings = settings.model_copy(update={"alert_webhook_url": SecretStr(alerts.url)})
    missed = [
        m for m in await watchdog.check(api.runtime, settings) if m.stats_data_id == stats_data_id
    ]
    assert [m.due_at for m in missed] == expected
    again = await watchdog.check(api.runtime, settings)
    assert [m for m in again if m.stats_data_id == stats_data_id] == []

    def alerted() -> list[dict]:
        return [
            t
            for a in alerts.received
            if a.get("event") == "ingest.schedule_missed"
            for t in a["ticks"]
            if t["stats_data_id"] == stats_data_id
        ]

    assert [t["due_at"] for t in alerted()] == [d.isoformat() for d in expected]
    assert {t["schedule"] for t in alerted()} == {cron}
    last = await last_tick(api, stats_data_id)
    assert (last.due_at, last.outcome, last.trigger, last.run_id) == (
        expected[-1],
        "missed",
        "none",
        None,
    )
    await metrics_text(
        api,
        f'ingest_schedule_last_tick_timestamp_seconds{{outcome="missed",'
        f'stats_data_id="{stats_data_id}",trigger="none"}}',
    )

    # Beat comes back: a tick now (its due time newer or one of the missed) runs the table.
    workers.send("ingest.schedule_catalog", {"schedule": cron})
    [run] = await until("the late tick's run", lambda: runs_of(api, stats_data_id))
    assert (await api.wait(str(run.id)))["status"] == "succeeded"
    rows = {t.due_at: t for t in await tick_of(api, stats_data_id)}
    late = rows[ticks.last_due(cron, datetime.now(UTC))]
    assert (late.run_id, late.trigger) == (run.id, "schedule")
    assert all(rows[d].missed_at is not None for d in expected)  # the count of misses stays


async def test_catalog_yaml_restarts_what_is_due_only_when_the_schedule_changes(
    api: Api, unique
) -> None:
    stats_data_id = unique("tick-yaml")

    async def sync(**fields: object) -> datetime:
        spec = catalog.EntrySpec(stats_data_id=stats_data_id, **fields)  # type: ignore[arg-type]
        async with session_scope(api.runtime.sessions) as session:
            await repository.upsert_catalog_spec(session, spec.row_values())
        async with session_scope(api.runtime.sessions) as session:
            entry = await session.get(CatalogEntry, stats_data_id, populate_existing=True)
            assert entry is not None
            return entry.scheduled_since

    first = await sync(schedule="0 5 * * *")
    retitled = await sync(schedule="0 5 * * *", title="a new title")
    rescheduled = await sync(schedule="0 6 * * *", title="a new title")
    disabled = await sync(schedule="0 6 * * *", title="a new title", enabled=False)
    enabled = await sync(schedule="0 6 * * *", title="a new title", enabled=True)

    assert retitled == first  # another field changed: the same ticks are still due
    assert rescheduled > first
    assert disabled == rescheduled
    assert enabled > disabled  # back on the schedule: due from now on
