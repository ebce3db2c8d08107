"""Login and registration throttling in Redis, and timing that does not reveal accounts."""

import statistics
import time
import uuid

import pytest

from chiiki_auth.config import AuthSettings

from .conftest import assert_problem


async def test_failed_logins_per_account_are_limited(auth_app, api) -> None:
    async with auth_app(login_account_max_failures=3) as client:
        api.client = client
        user = await api.register()
        wrong = {"email": user["email"], "password": "wrong-password!"}
        statuses = [
            (await client.post("/api/auth/login", json=wrong)).status_code for _ in range(3)
        ]
        assert statuses == [401, 401, 401]
        # The correct password does not help either: the account is throttled, not just guesses.
        blocked = await client.post(
            "/api/auth/login", json={"email": user["email"], "password": api.password}
        )
        body = assert_problem(blocked, 429, "too-many-requests", blocked.json()["detail"])
        retry_after = int(blocked.headers["retry-after"])
        assert 3590 <= retry_after <= 3600
        assert body["retry_after"] == retry_after
        assert body["detail"] == f"Too many failed attempts; try again in {retry_after} seconds"
        # Other accounts are not affected.
        other = await api.register()
        await api.login(other["email"])


async def test_unknown_accounts_are_throttled_alike(auth_app, api) -> None:
    async with auth_app(login_account_max_failures=2) as client:
        email = api.unique_email("ghost")
        for _ in range(2):
            response = await client.post(
                "/api/auth/login", json={"email": email, "password": "whatever-pw"}
            )
            assert response.status_code == 401
        response = await client.post("/api/auth/login", json={"email": email, "password": "x"})
        assert response.status_code == 429


async def test_successful_logins_do_not_use_up_the_budget(auth_app, api) -> None:
    async with auth_app(login_account_max_failures=2) as client:
        api.client = client
        user = await api.register()
        for _ in range(4):
            await api.login(user["email"])
        wrong = {"email": user["email"], "password": "wrong-password!"}
        assert (await client.post("/api/auth/login", json=wrong)).status_code == 401


async def test_failed_logins_per_client_ip_are_limited(auth_app, api) -> None:
    async with auth_app(login_ip_max_failures=3, login_ip_window_seconds=600) as client:
        attacker = {"X-Forwarded-For": "198.51.100.7"}
        for _ in range(3):
            response = await client.post(
                "/api/auth/login",
                headers=attacker,
                json={"email": api.unique_email(), "password": "guess-guess"},
            )
            assert response.status_code == 401
        blocked = await client.post(
            "/api/auth/login",
            headers=attacker,
            json={"email": api.unique_email(), "password": "guess-guess"},
        )
        assert blocked.status_code == 429
        assert 590 <= int(blocked.headers["retry-after"]) <= 600
        # Only the gateway's own (last) X-Forwarded-For entry counts: a spoofed first entry is
        # the same client.
        spoofed = await client.post(
            "/api/auth/login",
            headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7"},
            json={"email": api.unique_email(), "password": "guess-guess"},
        )
        assert spoofed.status_code == 429
        elsewhere = await client.post(
            "/api/auth/login",
            headers={"X-Forwarded-For": "198.51.100.8"},
            json={"email": api.unique_email(), "password": "guess-guess"},
        )
        assert elsewhere.status_code == 401


async def test_forwarded_for_is_ignored_from_untrusted_peers(auth_app, api, platform) -> None:
    # Its own key space: other tests' failures from 127.0.0.1 must not count here.
    prefix = f"{platform.redis_key_prefix}{uuid.uuid4().hex}:"
    settings = {"login_ip_max_failures": 1, "trusted_proxies": ["10.9.9.9"]}
    async with auth_app(REDIS_KEY_PREFIX=prefix, **settings) as client:
        first = await client.post(
            "/api/auth/login",
            headers={"X-Forwarded-For": "198.51.100.20"},
            json={"email": api.unique_email(), "password": "guess-guess"},
        )
        assert first.status_code == 401
        # A different claimed address changes nothing: the peer itself (127.0.0.1) is counted.
        second = await client.post(
            "/api/auth/login",
            headers={"X-Forwarded-For": "198.51.100.21"},
            json={"email": api.unique_email(), "password": "guess-guess"},
        )
        assert second.status_code == 429


async def test_registrations_per_client_ip_are_limited(auth_app, api) -> None:
    async with auth_app(register_ip_max=2) as client:
        headers = {"X-Forwarded-For": "198.51.100.30"}
        for expected in (201, 201, 429):
            response = await client.post(
                "/api/auth/register",
                headers=headers,
                json={"email": api.unique_email(), "password": api.password, "display_name": "R"},
            )
            assert response.status_code == expected
    wait = int(response.headers["retry-after"])
    assert 3590 <= wait <= 3600
    body = assert_problem(
        response,
        429,
        "too-many-requests",
        f"Too many registrations from this address; try again in {wait} seconds",
    )
    assert body["retry_after"] == wait


async def test_wrong_current_passwords_count_against_the_account(auth_app, api) -> None:
    async with auth_app(login_account_max_failures=2) as client:
        api.client = client
        _, tokens = await api.new_user()
        attempt = {"current_password": "not-it-at-all", "new_password": "amber-kestrel-violin"}
        statuses = [
            (
                await client.post(
                    "/api/auth/me/password",
                    headers=api.bearer(tokens["access_token"]),
                    json=attempt,
                )
            ).status_code
            for _ in range(3)
        ]
        assert statuses == [403, 403, 429]


def test_limits_above_asvs_are_refused() -> None:
    with pytest.raises(ValueError, match="more than 100 failed logins per hour"):
        AuthSettings(login_account_max_failures=101)
    with pytest.raises(ValueError, match="more than 100 failed logins per hour"):
        AuthSettings(login_account_max_failures=30, login_account_window_seconds=600)


async def test_unknown_email_costs_as_much_time_as_a_wrong_password(client, api) -> None:
    user = await api.register()

    async def timed(email: str) -> float:
        started = time.perf_counter()
        response = await client.post(
            "/api/auth/login", json={"email": email, "password": "wrong-password!"}
        )
        assert response.status_code == 401
        return time.perf_counter() - started

    known = [await timed(user["email"]) for _ in range(4)]
    unknown = [await timed(api.unique_email()) for _ in range(4)]
    ratio = statistics.median(unknown) / statistics.median(known)
    # Without the dummy hash an unknown email answers ~20x faster; with it the two are alike.
    assert 0.6 < ratio < 1.6, (known, unknown)
