"""A Redis restart (this test's own Redis) costs no request an error: pooled connections that the
restart killed are retried on new ones, so the first /readyz and the first cached read succeed."""

from chiiki_devstack.pytest_plugin import serve_app

REGION = "/api/regions/47000"


async def test_the_first_requests_after_a_redis_restart_succeed(platform, own_redis) -> None:
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    app = create_app(StatsSettings(anonymous_read=True, REDIS_URL=own_redis.url))
    async with serve_app(app) as client:
        assert (await client.get("/readyz")).status_code == 200
        assert [(await client.get(REGION)).headers["x-cache"] for _ in range(2)] == ["MISS", "HIT"]

        own_redis.restart()
        ready = await client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["redis"] == {"status": "ok"}

        own_redis.restart()
        first = await client.get(REGION)
        assert first.status_code == 200
        # MISS, not BYPASS: Redis answered (empty after the restart) and now holds the entry.
        assert first.headers["x-cache"] == "MISS"
        assert (await client.get(REGION)).headers["x-cache"] == "HIT"
