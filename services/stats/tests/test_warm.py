"""What dashboards ask for first, rendered into the cache when a version is applied
(``chiiki_stats.warm``): before any reader asks, with the routes' own keys and bodies, once per
set of versions across processes."""

import asyncio
import time

from chiiki_devstack.pytest_plugin import delete_redis_keys, serve_app
from chiiki_stats.versions import VERSIONS_EXTRA
from chiiki_stats.warm import ANSWERS, WARMER_EXTRA, Warmer, versions_key, warm

C01 = "census-c01-1920-2015"
MUNICIPAL = "/api/population?level=municipality"


async def rounds_done(warmer: Warmer, count: int, seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while len(warmer.rounds) < count:
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def test_an_applied_version_is_warmed_before_any_reader_asks(
    loaded, apply_table, estat
) -> None:
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    app = create_app(StatsSettings(anonymous_read=True, warm_on_apply=True))
    full = estat.table(C01)
    async with serve_app(app) as client:
        runtime = app.state.runtime
        warmer: Warmer = runtime.extras[WARMER_EXTRA]
        versions = runtime.extras[VERSIONS_EXTRA]
        assert await rounds_done(warmer, 1)  # the versions found at start-up
        # Claims left by an earlier run (versions start at 1 in each run) would skip the round.
        delete_redis_keys(StatsSettings(), "warm:*")
        try:
            older = await apply_table(full.where(lambda codes: codes["time"] <= "2000000000"))
            assert await rounds_done(warmer, 2)
            applied = warmer.rounds[1]
            assert versions.states[C01].version == older
            assert (applied.skipped, applied.failed) == (False, [])
            assert list(applied.rendered) == [path for path, _ in ANSWERS]
            digest = applied.rendered[MUNICIPAL]
            assert await runtime.redis.exists(runtime.redis_key("q", digest)) == 1

            warmed = await client.get(MUNICIPAL, headers={"Accept-Encoding": "identity"})
            assert warmed.status_code == 200
            assert (warmed.headers["x-cache"], warmed.headers["etag"]) == ("HIT", f'W/"{digest}"')
            await runtime.redis.delete(runtime.redis_key("q", digest))
            computed = await client.get(MUNICIPAL, headers={"Accept-Encoding": "identity"})
            assert computed.headers["x-cache"] == "MISS"
            assert computed.headers["etag"] == f'W/"{digest}"'
            assert warmed.content == computed.content
            assert warmed.json()["year"] == 2020

            # The same versions again, in this process or another: claimed, so not redone.
            await runtime.redis.delete(runtime.redis_key("q", digest))
            again = await warm(runtime, versions, 60.0)
            assert (again.skipped, again.rendered) == (True, {})
            assert await runtime.redis.exists(runtime.redis_key("q", digest)) == 0
            assert await runtime.redis.exists(versions_key(runtime, versions.states)) == 1
        finally:
            await apply_table(full)
