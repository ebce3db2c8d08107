"""Accounts, sessions and settings end to end: every request through nginx to the real stack."""

import os
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from chiiki_devstack.stack import Stack

pytestmark = pytest.mark.e2e

PASSWORD = "saffron-glacier-tundra"


@pytest.fixture(scope="module")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.settings.gateway_url, timeout=10) as client:
        yield client


def bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def new_email() -> str:
    return f"flow-{uuid.uuid4().hex[:12]}@chiiki.example"


def register(gateway: httpx.Client, email: str, password: str = PASSWORD) -> dict:
    response = gateway.post(
        "/api/auth/register", json={"email": email, "password": password, "display_name": "E2E"}
    )
    assert response.status_code == 201, response.text
    return response.json()


def login(gateway: httpx.Client, email: str, password: str = PASSWORD) -> dict:
    response = gateway.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def assert_invalid_token(response: httpx.Response, detail: str) -> None:
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "/problems/invalid-token",
        "code": "invalid-token",
        "title": "Invalid access token",
        "status": 401,
        "detail": detail,
        "instance": response.request.url.path,
        "request_id": response.headers["x-request-id"],
    }
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="chiiki", error="invalid_token", error_description="{detail}"'
    )


def wait_out_the_gateway_cache() -> None:
    time.sleep(1.2)  # GATEWAY_AUTH_CACHE=1s in the e2e stack


def test_register_login_me_and_settings(gateway: httpx.Client) -> None:
    email = new_email()
    user = register(gateway, email.upper())
    assert (user["email"], user["role"], user["disabled"]) == (email, "user", False)
    duplicate = gateway.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": "Again"}
    )
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "email-taken")

    tokens = login(gateway, email)
    assert (tokens["token_type"], tokens["expires_in"]) == ("bearer", 900)
    me = gateway.get("/api/auth/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.json() == user
    renamed = gateway.patch("/api/auth/me", headers=bearer(tokens), json={"display_name": "山田"})
    assert renamed.json()["display_name"] == "山田"

    document = {"layout": [{"widget": "population", "region": "13000"}], "locale": "ja"}
    saved = gateway.put(
        "/api/auth/me/settings", headers=bearer(tokens), json={"version": 0, "settings": document}
    )
    assert saved.status_code == 200
    assert (saved.json()["version"], saved.json()["settings"]) == (1, document)
    # Restored in another session (another device).
    elsewhere = login(gateway, email)
    restored = gateway.get("/api/auth/me/settings", headers=bearer(elsewhere))
    assert (restored.json()["version"], restored.json()["settings"]) == (1, document)
    stale = gateway.put(
        "/api/auth/me/settings", headers=bearer(elsewhere), json={"version": 0, "settings": {}}
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale-version"
    assert stale.json()["current_version"] == 1


def test_swagger_login_form(gateway: httpx.Client) -> None:
    email = new_email()
    register(gateway, email)
    response = gateway.post(
        "/api/auth/login", data={"grant_type": "password", "username": email, "password": PASSWORD}
    )
    assert response.status_code == 200
    assert gateway.get("/api/auth/me", headers=bearer(response.json())).status_code == 200


def test_settings_larger_than_the_limit_are_refused(gateway: httpx.Client) -> None:
    email = new_email()
    register(gateway, email)
    tokens = login(gateway, email)
    huge = {"blob": "x" * (64 * 1024)}
    response = gateway.put(
        "/api/auth/me/settings", headers=bearer(tokens), json={"version": 0, "settings": huge}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "settings-too-large"


def test_refresh_rotation_and_reuse_detection(gateway: httpx.Client) -> None:
    email = new_email()
    register(gateway, email)
    first = login(gateway, email)
    second = gateway.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second_tokens = second.json()
    assert gateway.get("/api/auth/me", headers=bearer(second_tokens)).status_code == 200

    reused = gateway.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["code"] == "invalid-refresh-token"
    assert reused.json()["detail"] == "The refresh token was already used; the session is revoked"
    after = gateway.post(
        "/api/auth/refresh", json={"refresh_token": second_tokens["refresh_token"]}
    )
    assert after.status_code == 401
    assert_invalid_token(
        gateway.get("/api/auth/me", headers=bearer(second_tokens)),
        "The session of this access token has ended",
    )


def test_refresh_reuse_is_a_security_event_in_the_log(gateway: httpx.Client, stack: Stack) -> None:
    email = new_email()
    register(gateway, email)
    tokens = login(gateway, email)
    gateway.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    gateway.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    log = (stack.settings.log_dir / "api-auth.log").read_text()
    assert '"event": "refresh_token_reused"' in log
    assert tokens["refresh_token"] not in log
    assert tokens["access_token"] not in log
    assert PASSWORD not in log


def test_logout_ends_the_session_in_services_and_at_the_gateway(gateway: httpx.Client) -> None:
    email = new_email()
    register(gateway, email)
    tokens = login(gateway, email)
    assert gateway.get("/api/regions", headers=bearer(tokens)).headers["x-served-by"] == "stats"
    assert gateway.post("/api/auth/logout", headers=bearer(tokens)).status_code == 204
    # The auth service checks revocation itself: at once, even while the gateway's cache holds.
    assert_invalid_token(
        gateway.get("/api/auth/me", headers=bearer(tokens)),
        "The session of this access token has ended",
    )
    wait_out_the_gateway_cache()
    assert_invalid_token(
        gateway.get("/api/regions", headers=bearer(tokens)),
        "The session of this access token has ended",
    )
    refresh = gateway.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


def test_password_change_ends_other_sessions(gateway: httpx.Client) -> None:
    email = new_email()
    register(gateway, email)
    phone, laptop = login(gateway, email), login(gateway, email)
    response = gateway.post(
        "/api/auth/me/password",
        headers=bearer(laptop),
        json={"current_password": PASSWORD, "new_password": "quartz-lagoon-harvest"},
    )
    assert response.status_code == 200
    fresh = response.json()
    assert gateway.get("/api/auth/me", headers=bearer(fresh)).status_code == 200
    for old in (phone, laptop):
        assert gateway.get("/api/auth/me", headers=bearer(old)).status_code == 401
    old_login = gateway.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert old_login.status_code == 401
    login(gateway, email, "quartz-lagoon-harvest")


def test_admin_disables_and_promotes_users(gateway: httpx.Client, admin_headers) -> None:
    email = new_email()
    user = register(gateway, email)
    tokens = login(gateway, email)
    assert gateway.get("/api/auth/users", headers=bearer(tokens)).status_code == 403

    listing = gateway.get(f"/api/auth/users?q={email}", headers=admin_headers())
    assert listing.status_code == 200
    assert [item["id"] for item in listing.json()["items"]] == [user["id"]]

    promoted = gateway.patch(
        f"/api/auth/users/{user['id']}", headers=admin_headers(), json={"role": "admin"}
    )
    assert promoted.json()["role"] == "admin"
    assert gateway.get("/api/auth/me", headers=bearer(tokens)).status_code == 401
    as_admin = login(gateway, email)
    assert gateway.get("/api/auth/users", headers=bearer(as_admin)).status_code == 200

    disabled = gateway.patch(
        f"/api/auth/users/{user['id']}", headers=admin_headers(), json={"disabled": True}
    )
    assert disabled.json()["disabled"] is True
    wait_out_the_gateway_cache()
    assert_invalid_token(
        gateway.get("/api/regions", headers=bearer(as_admin)),
        "The session of this access token has ended",
    )
    refused = gateway.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid-credentials")


def test_an_admins_role_change_is_read_back_from_the_audit_log(
    gateway: httpx.Client, admin_headers
) -> None:
    user = register(gateway, new_email())
    reader = new_email()
    register(gateway, reader)
    admin_id = gateway.get("/api/auth/me", headers=admin_headers()).json()["id"]
    promoted = gateway.patch(
        f"/api/auth/users/{user['id']}", headers=admin_headers(), json={"role": "admin"}
    )
    assert promoted.status_code == 200

    audit = gateway.get(f"/api/auth/audit?target_id={user['id']}", headers=admin_headers())

    assert audit.status_code == 200
    [row] = audit.json()["items"]
    assert {
        key: row[key] for key in row if key not in ("seq", "occurred_at", "prev_hash", "hash")
    } == {
        "actor_kind": "user",
        "actor_id": admin_id,
        "action": "user.role_changed",
        "target_type": "user",
        "target_id": user["id"],
        "before": {"role": "user"},
        "after": {"role": "admin"},
        # The address the gateway saw, forwarded to auth and trusted there; the gateway's id.
        "client_ip": "127.0.0.1",
        "request_id": promoted.headers["x-request-id"],
    }
    assert audit.json()["next"] is None
    refused = gateway.get("/api/auth/audit", headers=bearer(login(gateway, reader)))
    assert refused.status_code == 403
    assert "x-served-by" not in refused.headers  # refused by the gateway itself


def test_the_bootstrap_admin_comes_from_the_environment(
    gateway: httpx.Client, admin_headers
) -> None:
    me = gateway.get("/api/auth/me", headers=admin_headers()).json()
    assert (me["email"], me["role"]) == (os.environ["BOOTSTRAP_ADMIN_EMAIL"], "admin")


def wait_until_refused(gateway: httpx.Client, tokens: dict, path: str = "/api/regions") -> None:
    """Polls until the gateway refuses ``tokens``: its token-check cache (1 s here) bounds it."""
    deadline = time.monotonic() + 10
    while (response := gateway.get(path, headers=bearer(tokens))).status_code != 401:
        assert response.status_code == 200
        assert time.monotonic() < deadline, "the gateway still lets an ended session through"
        time.sleep(0.1)
    assert_invalid_token(response, "The session of this access token has ended")


def test_users_see_and_end_their_sessions_through_the_gateway(gateway: httpx.Client) -> None:
    email = new_email()
    register(gateway, email)
    phone = gateway.post(
        "/api/auth/login",
        headers={"User-Agent": "ChiikiPhone/1.0"},
        json={"email": email, "password": PASSWORD},
    ).json()
    tablet = login(gateway, email)
    laptop = gateway.post(
        "/api/auth/login",
        headers={"User-Agent": "ChiikiLaptop/2.0"},
        json={"email": email, "password": PASSWORD},
    ).json()
    for tokens in (phone, tablet, laptop):
        assert gateway.get("/api/regions", headers=bearer(tokens)).status_code == 200

    listing = gateway.get("/api/auth/me/sessions", headers=bearer(laptop))
    assert listing.status_code == 200
    # The address as the auth service sees callers: the gateway's X-Forwarded-For entry.
    sessions = listing.json()["items"]
    assert [(s["user_agent"], s["address"], s["current"]) for s in sessions] == [
        ("ChiikiLaptop/2.0", "127.0.0.1", True),
        (f"python-httpx/{httpx.__version__}", "127.0.0.1", False),
        ("ChiikiPhone/1.0", "127.0.0.1", False),
    ]

    phone_id = sessions[2]["id"]
    ended = gateway.delete(f"/api/auth/me/sessions/{phone_id}", headers=bearer(laptop))
    assert ended.status_code == 204
    assert_invalid_token(
        gateway.get("/api/auth/me", headers=bearer(phone)),
        "The session of this access token has ended",
    )
    wait_until_refused(gateway, phone)
    refresh = gateway.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert (refresh.status_code, refresh.json()["code"]) == (401, "invalid-refresh-token")
    again = gateway.delete(f"/api/auth/me/sessions/{phone_id}", headers=bearer(laptop))
    assert (again.status_code, again.json()["code"]) == (404, "session-not-found")

    everywhere = gateway.delete("/api/auth/me/sessions", headers=bearer(laptop))
    assert everywhere.status_code == 204
    wait_until_refused(gateway, tablet)
    assert gateway.get("/api/regions", headers=bearer(laptop)).status_code == 200
    remaining = gateway.get("/api/auth/me/sessions", headers=bearer(laptop)).json()["items"]
    assert [s["user_agent"] for s in remaining] == ["ChiikiLaptop/2.0"]


def test_another_users_session_cannot_be_ended_through_the_gateway(gateway: httpx.Client) -> None:
    mine, theirs = new_email(), new_email()
    register(gateway, mine)
    register(gateway, theirs)
    my_tokens, their_tokens = login(gateway, mine), login(gateway, theirs)
    their_id = gateway.get("/api/auth/me/sessions", headers=bearer(their_tokens)).json()["items"]
    response = gateway.delete(
        f"/api/auth/me/sessions/{their_id[0]['id']}", headers=bearer(my_tokens)
    )
    assert response.status_code == 404
    assert response.json()["detail"] == f"You have no active session with id {their_id[0]['id']}"
    assert gateway.get("/api/auth/me", headers=bearer(their_tokens)).status_code == 200


def test_weak_passwords_are_refused_through_the_gateway(gateway: httpx.Client) -> None:
    for password, rule in (
        ("Chiiki-dashboard-2026", "product_name"),
        ("blackpanther", "breached"),
        ("          ", "blank"),
    ):
        response = gateway.post(
            "/api/auth/register",
            json={"email": new_email(), "password": password, "display_name": "W"},
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        assert (response.json()["code"], response.json()["rule"]) == ("weak-password", rule)
        assert password not in response.text


def test_a_bad_refresh_token_is_an_invalid_token_challenge(gateway: httpx.Client) -> None:
    response = gateway.post("/api/auth/refresh", json={"refresh_token": "made-up-token"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid-refresh-token"
    assert response.headers["www-authenticate"] == (
        'Bearer realm="chiiki", error="invalid_token", '
        'error_description="The refresh token is invalid or has expired"'
    )
