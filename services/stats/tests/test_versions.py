"""The dataset versions each web process keeps in memory: no SQL for a cache hit or a 304, a
new version announced by PostgreSQL's NOTIFY, and the periodic reload as the safety net."""

import asyncio
import time

from sqlalchemy import event

from chiiki_devstack.pytest_plugin import serve_app
from chiiki_stats.versions import VERSIONS_EXTRA, DatasetVersions

C01 = "census-c01-1920-2015"
C01_QUERY = "/api/population/13000?from=1990&to=2005&indicators=population.male"


class Statements:
    """The SQL statements an engine runs while counted."""

    def __init__(self, engine) -> None:
        self.engine = engine.sync_engine
        self.seen: list[str] = []

    def _count(self, _conn, _cursor, statement, *_args) -> None:
        self.seen.append(statement)

    def __enter__(self) -> "Statements":
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


async def test_a_cache_hit_and_a_304_run_no_sql(loaded, client, runtime) -> None:
    url = "/api/kpi?region=27000"
    first = await client.get(url)
    assert first.status_code == 200
    with Statements(runtime.engine) as statements:
        hit = await client.get(url)
        revalidated = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
    assert (hit.headers["x-cache"], revalidated.status_code) == ("HIT", 304)
    assert hit.content == first.content
    assert statements.seen == []


async def test_the_notification_brings_a_new_version_before_the_periodic_reload(
    loaded, apply_table, estat
) -> None:
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    app = create_app(StatsSettings(anonymous_read=True, versions_refresh_seconds=600))
    full = estat.table(C01)
    async with serve_app(app) as client:
        versions: DatasetVersions = app.state.runtime.extras[VERSIONS_EXTRA]
        assert await wait_for(lambda: versions.listening)
        before = versions.states[C01].version
        older = await apply_table(full.where(lambda codes: codes["time"] <= "1995000000"))
        assert await wait_for(lambda: versions.states[C01].version == older)
        years = (await client.get(C01_QUERY)).json()["indicators"][0]["points"]
        assert [point["year"] for point in years] == [1990, 1995]
        restored = await apply_table(full)
        assert restored == before + 2
        assert await wait_for(lambda: versions.states[C01].version == restored)


async def test_without_notifications_the_map_is_reloaded_every_few_seconds() -> None:
    loads = []

    async def load() -> dict:
        loads.append(time.monotonic())
        return {}

    versions = DatasetVersions(load, None, refresh_seconds=0.02)
    await versions.start()
    try:
        assert await wait_for(lambda: len(loads) >= 4)
        assert not versions.listening
    finally:
        await versions.stop()


async def wait_for(condition, seconds: float = 1.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


async def test_stop_ends_the_task_when_a_wake_up_comes_with_the_cancellation() -> None:
    # A NOTIFY arriving as the process shuts down: Python 3.11's wait_for returned the wake-up
    # and dropped the cancellation, so stop() waited forever (it hung a test run once).
    async def load() -> dict:
        return {}

    versions = DatasetVersions(load, None, refresh_seconds=60)
    await versions.start()
    for _ in range(3):  # the task is now waiting for a wake-up
        await asyncio.sleep(0)
    versions.refresh_soon()
    stopping = asyncio.create_task(versions.stop())
    done, _ = await asyncio.wait({stopping}, timeout=5)
    assert versions._task is not None
    if not done:
        versions._task.cancel()  # a second cancellation gets through: leave nothing running
    assert stopping in done, "stop() did not end the task"
    assert versions._task.cancelled()


async def test_a_miss_while_the_map_lags_is_keyed_and_credited_on_the_snapshot(loaded) -> None:
    # The snapshot compares only version numbers and content hashes with the map; when they
    # differ it takes every dataset's state (attribution, notes) from the snapshot.
    from dataclasses import replace

    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    app = create_app(StatsSettings(anonymous_read=True, versions_refresh_seconds=600))
    url = "/api/population/13000?from=1990&to=1995&indicators=population.male"  # c01 only
    async with serve_app(app) as client:
        versions: DatasetVersions = app.state.runtime.extras[VERSIONS_EXTRA]
        current = versions.states
        lagging = replace(current[C01], version=current[C01].version - 1, attribution="stale")
        versions.states = {**current, C01: lagging}
        computed = await client.get(url)
        assert await wait_for(lambda: versions.states[C01].version == current[C01].version)
        again = await client.get(url)
    assert computed.headers["x-cache"] == "MISS"
    assert computed.json()["attribution"] == [current[C01].attribution]
    assert (again.headers["x-cache"], again.headers["etag"]) == ("HIT", computed.headers["etag"])
    assert versions.states[C01] == current[C01]
