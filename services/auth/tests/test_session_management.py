"""The sessions a user can see and end: listing, ending one, "log out everywhere", in-process."""

import uuid
from collections import Counter

import jwt
import psycopg

from .conftest import assert_problem

PHONE = {"User-Agent": "ChiikiPhone/1.0", "X-Forwarded-For": "198.51.100.7"}
LAPTOP = {"User-Agent": "ChiikiLaptop/2.0", "X-Forwarded-For": "203.0.113.9"}
ENDED = "The session of this access token has ended"
REFRESH_ENDED = "The session of this refresh token has ended"


async def login_from(client, email: str, password: str, headers: dict[str, str]) -> dict:
    response = await client.post(
        "/api/auth/login", headers=headers, json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def sessions_of(client, api, tokens: dict) -> list[dict]:
    response = await client.get("/api/auth/me/sessions", headers=api.bearer(tokens["access_token"]))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()["items"]


def sid_of(tokens: dict) -> str:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]


def session_ids(platform, user_id: str) -> dict[str, str | None]:
    with psycopg.connect(platform.admin_url) as conn:
        rows = conn.execute(
            "SELECT id::text, revoke_reason FROM auth.sessions WHERE user_id = %s", (user_id,)
        ).fetchall()
    return dict(rows)


async def test_sessions_are_listed_with_agent_address_and_the_current_one(client, api) -> None:
    user = await api.register()
    phone = await login_from(client, user["email"], api.password, PHONE)
    laptop = await login_from(client, user["email"], api.password, LAPTOP)

    listed = await sessions_of(client, api, laptop)

    assert [set(item) for item in listed] == [
        {"id", "created_at", "last_used_at", "expires_at", "user_agent", "address", "current"}
    ] * 2
    # Most recently used first; the caller's own session is marked.
    assert [(s["user_agent"], s["address"], s["current"]) for s in listed] == [
        ("ChiikiLaptop/2.0", "203.0.113.9", True),
        ("ChiikiPhone/1.0", "198.51.100.7", False),
    ]
    from_phone = await sessions_of(client, api, phone)
    assert [s["current"] for s in from_phone] == [False, True]
    assert {s["id"] for s in from_phone} == {s["id"] for s in listed}


async def test_a_refresh_records_when_and_from_where_the_session_was_last_used(client, api) -> None:
    user = await api.register()
    phone = await login_from(client, user["email"], api.password, PHONE)
    [before] = await sessions_of(client, api, phone)
    moved = {"User-Agent": "ChiikiPhone/1.1", "X-Forwarded-For": "192.0.2.44"}
    rotated = await client.post(
        "/api/auth/refresh", headers=moved, json={"refresh_token": phone["refresh_token"]}
    )
    assert rotated.status_code == 200
    [after] = await sessions_of(client, api, rotated.json())
    assert after["id"] == before["id"]
    assert after["created_at"] == before["created_at"]
    assert after["last_used_at"] > before["last_used_at"]
    assert (after["user_agent"], after["address"], after["current"]) == (
        "ChiikiPhone/1.1",
        "192.0.2.44",
        True,
    )


async def test_ended_and_expired_sessions_are_not_listed(client, api, platform) -> None:
    user, tokens = await api.new_user()
    logged_out, idle, expired = [await api.login(user["email"]) for _ in range(3)]
    await client.post("/api/auth/logout", headers=api.bearer(logged_out["access_token"]))
    with psycopg.connect(platform.admin_url) as conn:
        # Unused for longer than AUTH_REFRESH_TOKEN_IDLE_SECONDS (7 days), and past its lifetime.
        conn.execute(
            "UPDATE auth.sessions SET last_used_at = now() - interval '8 days' WHERE id = %s",
            (sid_of(idle),),
        )
        conn.execute(
            "UPDATE auth.sessions SET expires_at = now() - interval '1 second' WHERE id = %s",
            (sid_of(expired),),
        )
    listed = await sessions_of(client, api, tokens)
    assert [(s["id"], s["current"]) for s in listed] == [(sid_of(tokens), True)]


async def test_ending_one_session_revokes_its_tokens_at_once(client, api, platform) -> None:
    user = await api.register()
    phone = await login_from(client, user["email"], api.password, PHONE)
    laptop = await login_from(client, user["email"], api.password, LAPTOP)
    phone_id = sid_of(phone)

    ended = await client.delete(
        f"/api/auth/me/sessions/{phone_id}", headers=api.bearer(laptop["access_token"])
    )

    assert ended.status_code == 204
    me = await client.get("/api/auth/me", headers=api.bearer(phone["access_token"]))
    assert_problem(me, 401, "invalid-token", ENDED)
    refresh = await client.post("/api/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert_problem(refresh, 401, "invalid-refresh-token", REFRESH_ENDED)
    assert [s["user_agent"] for s in await sessions_of(client, api, laptop)] == ["ChiikiLaptop/2.0"]
    assert session_ids(platform, user["id"])[phone_id] == "ended_by_user"


async def test_another_users_or_an_unknown_session_is_404(client, api, platform) -> None:
    _, mine = await api.new_user("mine")
    theirs_user, theirs = await api.new_user("theirs")
    their_id = sid_of(theirs)
    for session_id in (their_id, str(uuid.uuid4())):
        response = await client.delete(
            f"/api/auth/me/sessions/{session_id}", headers=api.bearer(mine["access_token"])
        )
        assert_problem(
            response, 404, "session-not-found", f"You have no active session with id {session_id}"
        )
    # Their session goes on, untouched.
    assert (
        await client.get("/api/auth/me", headers=api.bearer(theirs["access_token"]))
    ).status_code == 200
    assert session_ids(platform, theirs_user["id"]) == {their_id: None}
    # Nor can a session be ended twice.
    own = sid_of(mine)
    other = await api.login((await _me(client, api, mine))["email"])
    first = await client.delete(
        f"/api/auth/me/sessions/{own}", headers=api.bearer(other["access_token"])
    )
    assert first.status_code == 204
    again = await client.delete(
        f"/api/auth/me/sessions/{own}", headers=api.bearer(other["access_token"])
    )
    assert_problem(again, 404, "session-not-found", f"You have no active session with id {own}")


async def _me(client, api, tokens: dict) -> dict:
    return (await client.get("/api/auth/me", headers=api.bearer(tokens["access_token"]))).json()


async def test_a_session_id_that_is_not_a_uuid_is_422(client, api) -> None:
    _, tokens = await api.new_user()
    response = await client.delete(
        "/api/auth/me/sessions/not-a-uuid", headers=api.bearer(tokens["access_token"])
    )
    assert_problem(response, 422, "validation-failed", "Invalid value for: path.session_id")


async def test_log_out_everywhere_keeps_only_the_current_session(client, api, platform) -> None:
    user = await api.register()
    phone = await login_from(client, user["email"], api.password, PHONE)
    tablet = await api.login(user["email"])
    laptop = await login_from(client, user["email"], api.password, LAPTOP)
    _, stranger = await api.new_user("stranger")

    response = await client.delete(
        "/api/auth/me/sessions", headers=api.bearer(laptop["access_token"])
    )

    assert response.status_code == 204
    for ended in (phone, tablet):
        me = await client.get("/api/auth/me", headers=api.bearer(ended["access_token"]))
        assert_problem(me, 401, "invalid-token", ENDED)
        refresh = await client.post(
            "/api/auth/refresh", json={"refresh_token": ended["refresh_token"]}
        )
        assert_problem(refresh, 401, "invalid-refresh-token", REFRESH_ENDED)
    listed = await sessions_of(client, api, laptop)
    assert [(s["user_agent"], s["current"]) for s in listed] == [("ChiikiLaptop/2.0", True)]
    rotated = await client.post(
        "/api/auth/refresh", json={"refresh_token": laptop["refresh_token"]}
    )
    assert rotated.status_code == 200
    assert (
        await client.get("/api/auth/me", headers=api.bearer(stranger["access_token"]))
    ).status_code == 200
    reasons = session_ids(platform, user["id"])
    assert Counter(reasons.values()) == {None: 1, "logout_everywhere": 2}


async def test_ending_sessions_is_a_security_event(client, api, capsys) -> None:
    user, tokens = await api.new_user()
    other = await api.login(user["email"])
    capsys.readouterr()
    await client.delete(
        f"/api/auth/me/sessions/{sid_of(other)}", headers=api.bearer(tokens["access_token"])
    )
    await client.delete("/api/auth/me/sessions", headers=api.bearer(tokens["access_token"]))
    out = capsys.readouterr().out
    assert '"event": "session_ended"' in out
    assert '"event": "other_sessions_ended"' in out
    assert tokens["access_token"] not in out


async def test_session_routes_need_a_token(client) -> None:
    for method, path in (
        ("GET", "/api/auth/me/sessions"),
        ("DELETE", "/api/auth/me/sessions"),
        ("DELETE", f"/api/auth/me/sessions/{uuid.uuid4()}"),
    ):
        response = await client.request(method, path)
        assert_problem(
            response,
            401,
            "authentication-required",
            "An access token is required (Authorization: Bearer <token>)",
        )
