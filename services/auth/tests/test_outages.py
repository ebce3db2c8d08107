"""The auth service through outages of its own PostgreSQL and Redis (servers this test starts and
stops): failures of ours never lock accounts out, and revocations outlive a Redis restart."""

import httpx

from .conftest import AuthApi, assert_problem, bearer


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
        user, tokens = await api.new_user()
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
