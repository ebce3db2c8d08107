"""The auth service through outages of its own PostgreSQL and Redis (servers this test starts and
stops): failures of ours never lock accounts out, and revocations outlive a Redis restart."""

import asyncio
import time

import httpx
from fastapi import APIRouter, FastAPI

from chiiki_auth.deps import COMPONENTS_EXTRA
from chiiki_auth.main import REBUILDER_EXTRA, WATCHER_EXTRA, create_app, stop_auth
from chiiki_devstack.pytest_plugin import serve_app
from chiiki_shared.app import create_service_app
from chiiki_shared.security import GUARD_EXTRA, CurrentUser, TokenGuard
from chiiki_stats.config import StatsSettings

from .conftest import AuthApi, assert_problem, bearer, make_settings


def assert_unavailable(response: httpx.Response, dependency: str) -> None:
    detail = f"{dependency} cannot be reached right now; try again shortly"
    body = assert_problem(response, 503, "dependency-unavailable", detail)
    assert body["dependency"] == dependency
    assert response.headers["retry-after"] == "5"


async def test_a_database_outage_does_not_count_as_failed_logins(auth_app, own_postgres) -> None:
    async with auth_app(DATABASE_URL=own_postgres.admin_url(), login_account_max_failures=3) as c:
        api = AuthApi(c)
        user = await api.register()
        own_postgres.stop()
        credentials = {"email": user["email"], "password": api.password}
        for _ in range(5):  # more than the limit
            assert_unavailable(await c.post("/api/auth/login", json=credentials), "postgresql")
        own_postgres.start()
        # The outage cost no slot: the right password logs in at once, no 429.
        response = await c.post("/api/auth/login", json=credentials)
        assert response.status_code == 200, response.text
        # And wrong passwords still count from zero: three 401s before the 429.
        wrong = {"email": user["email"], "password": "wrong-password!"}
        statuses = [(await c.post("/api/auth/login", json=wrong)).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]


async def test_redis_down_fails_logins_refreshes_and_token_checks_closed(
    auth_app, own_redis
) -> None:
    async with auth_app(REDIS_URL=own_redis.url) as client:
        api = AuthApi(client)
        user, tokens = await api.new_user()
        own_redis.stop()
        login = await client.post(
            "/api/auth/login", json={"email": user["email"], "password": api.password}
        )
        assert_unavailable(login, "redis")
        refresh = await client.post(
            "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert_problem(
            refresh,
            503,
            "dependency-unavailable",
            "Token revocations cannot be checked right now",
        )
        assert refresh.json()["dependency"] == "redis"
        me = await client.get("/api/auth/me", headers=bearer(tokens["access_token"]))
        assert_problem(
            me, 503, "dependency-unavailable", "Token revocations cannot be checked right now"
        )
        own_redis.start()
        # Nothing was spent while Redis was down: the same refresh token still rotates.
        again = await client.post(
            "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert again.status_code == 200, again.text
        await api.login(user["email"])


async def test_a_logged_out_token_stays_refused_after_redis_restarts_empty(
    auth_app, own_redis
) -> None:
    async with auth_app(REDIS_URL=own_redis.url) as client:
        api = AuthApi(client)
        _, tokens = await api.new_user()
        _, other = await api.new_user()
        logout = await client.post("/api/auth/logout", headers=bearer(tokens["access_token"]))
        assert logout.status_code == 204
        own_redis.restart()  # comes back with no keys at all
        for path in ("/api/auth/me", "/internal/verify"):
            refused = await client.get(path, headers=bearer(tokens["access_token"]))
            assert_problem(
                refused, 401, "invalid-token", "The session of this access token has ended"
            )
        # Tokens nobody revoked keep working.
        kept = await client.get("/api/auth/me", headers=bearer(other["access_token"]))
        assert kept.status_code == 200, kept.text


async def test_ended_sessions_stay_ended_after_redis_restarts_empty(auth_app, own_redis) -> None:
    """A password change ends every session and refuses every older token ("not before")."""
    async with auth_app(REDIS_URL=own_redis.url) as client:
        api = AuthApi(client)
        user, first = await api.new_user()
        second = await api.login(user["email"])
        changed = await client.post(
            "/api/auth/me/password",
            headers=bearer(first["access_token"]),
            json={"current_password": api.password, "new_password": "copper-willow-anthem"},
        )
        assert changed.status_code == 200, changed.text
        own_redis.restart()
        for old in (first, second):
            refused = await client.get("/api/auth/me", headers=bearer(old["access_token"]))
            assert refused.status_code == 401
            assert refused.json()["code"] == "invalid-token"
        fresh = await client.get("/api/auth/me", headers=bearer(changed.json()["access_token"]))
        assert fresh.status_code == 200, fresh.text


probe = APIRouter()


@probe.get("/api/stats/probe/user")
async def probe_user(principal: CurrentUser) -> dict:
    return {"user_id": principal.user_id}


async def test_other_services_refuse_tokens_until_auth_has_rebuilt_the_list(
    platform, own_redis
) -> None:
    """Stats (or any service) cannot rebuild the list: between a Redis restart and auth's rebuild
    it answers 503, never accepting a revoked token; auth rebuilds at its next token check, or
    by itself within AUTH_REVOCATION_WATCH_SECONDS."""
    auth = create_app(make_settings(REDIS_URL=own_redis.url, revocation_watch_seconds=0.3))
    stats = create_service_app(
        StatsSettings(REDIS_URL=own_redis.url), title="probe", description="probe", routers=[probe]
    )
    async with serve_app(auth) as auth_client, serve_app(stats) as stats_client:
        runtime = stats.state.runtime
        keys = auth.state.runtime.extras[COMPONENTS_EXTRA].keys
        runtime.extras[GUARD_EXTRA] = TokenGuard.for_settings(runtime.settings, runtime.redis, keys)
        api = AuthApi(auth_client)
        _, ended = await api.new_user()
        user, kept = await api.new_user()
        await auth_client.post("/api/auth/logout", headers=bearer(ended["access_token"]))

        async def probe_with(tokens: dict) -> httpx.Response:
            return await stats_client.get(
                "/api/stats/probe/user", headers=bearer(tokens["access_token"])
            )

        await _stop_watching(auth)
        own_redis.restart()
        for tokens in (ended, kept):
            assert_problem(
                await probe_with(tokens),
                503,
                "dependency-unavailable",
                "The token revocation list is being rebuilt; try again shortly",
            )
        # The gateway's check (auth's own verifier) rebuilds the list at once.
        verify = await auth_client.get("/internal/verify", headers=bearer(kept["access_token"]))
        assert verify.status_code == 204
        assert (await probe_with(ended)).status_code == 401
        assert (await probe_with(kept)).json() == {"user_id": user["id"]}

        # With no token check reaching auth, its watcher rebuilds the list by itself.
        _start_watching(auth)
        own_redis.restart()
        deadline = time.monotonic() + 15
        while (answer := await probe_with(kept)).status_code == 503:
            assert time.monotonic() < deadline, answer.text
            await asyncio.sleep(0.1)
        assert answer.status_code == 200
        assert (await probe_with(ended)).status_code == 401


async def _stop_watching(app: FastAPI) -> None:
    await stop_auth(app.state.runtime)


def _start_watching(app: FastAPI) -> None:
    runtime = app.state.runtime
    rebuilder = runtime.extras[REBUILDER_EXTRA]
    runtime.extras[WATCHER_EXTRA] = asyncio.create_task(rebuilder.watch(0.3))
