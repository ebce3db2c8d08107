"""Refresh-token rotation and reuse detection, logout, password change, disable and role change."""

import psycopg

from .conftest import assert_problem


async def test_refresh_rotates_both_tokens(client, api) -> None:
    _, tokens = await api.new_user()
    response = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    rotated = response.json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["access_token"] != tokens["access_token"]
    me = await client.get("/api/auth/me", headers=api.bearer(rotated["access_token"]))
    assert me.status_code == 200
    again = await client.post("/api/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert again.status_code == 200


async def test_reusing_a_refresh_token_revokes_the_whole_family(client, api, platform) -> None:
    user, tokens = await api.new_user()
    second = (
        await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    ).json()
    reused = await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert_problem(
        reused,
        401,
        "invalid-refresh-token",
        "The refresh token was already used; the session is revoked",
        title="Invalid refresh token",
    )
    assert reused.headers["www-authenticate"] == (
        'Bearer realm="chiiki", error="invalid_token", '
        'error_description="The refresh token was already used; the session is revoked"'
    )
    # The newest token of the family and its access tokens die with it.
    descendant = await client.post(
        "/api/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert_problem(
        descendant, 401, "invalid-refresh-token", "The session of this refresh token has ended"
    )
    for access in (tokens["access_token"], second["access_token"]):
        me = await client.get("/api/auth/me", headers=api.bearer(access))
        assert_problem(me, 401, "invalid-token", "The session of this access token has ended")
    with psycopg.connect(platform.admin_url) as conn:
        reasons = conn.execute(
            "SELECT revoke_reason FROM auth.sessions WHERE user_id = %s", (user["id"],)
        ).fetchall()
    assert reasons == [("refresh_reuse",)]


async def test_other_sessions_survive_a_reuse(client, api) -> None:
    user, first = await api.new_user()
    other = await api.login(user["email"])
    await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    await client.post("/api/auth/refresh", json={"refresh_token": first["refresh_token"]})
    me = await client.get("/api/auth/me", headers=api.bearer(other["access_token"]))
    assert me.status_code == 200


async def test_reuse_is_logged_as_a_security_event_without_tokens(client, api, capsys) -> None:
    _, tokens = await api.new_user()
    await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    capsys.readouterr()
    await client.post("/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    out = capsys.readouterr().out
    assert '"event": "refresh_token_reused"' in out
    assert '"category": "security"' in out
    assert tokens["refresh_token"] not in out
    assert tokens["access_token"] not in out


async def test_unknown_and_access_tokens_are_not_refresh_tokens(client, api) -> None:
    _, tokens = await api.new_user()
    for token in ("made-up-value", tokens["access_token"]):
        response = await client.post("/api/auth/refresh", json={"refresh_token": token})
        assert_problem(
            response, 401, "invalid-refresh-token", "The refresh token is invalid or has expired"
        )
        # RFC 6750 §3.1: a token was sent and it is not valid.
        assert response.headers["www-authenticate"] == (
            'Bearer realm="chiiki", error="invalid_token", '
            'error_description="The refresh token is invalid or has expired"'
        )


async def test_refresh_tokens_expire_after_idle_time(auth_app, api, platform) -> None:
    async with auth_app() as client:
        api.client = client
        _, tokens = await api.new_user()
    with psycopg.connect(platform.admin_url) as conn:
        conn.execute(
            "UPDATE auth.refresh_tokens SET issued_at = issued_at - interval '8 days' "
            "WHERE used_at IS NULL AND session_id IN (SELECT id FROM auth.sessions "
            "WHERE created_at > now() - interval '1 minute')"
        )
    async with auth_app() as client:
        response = await client.post(
            "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
    assert_problem(response, 401, "invalid-refresh-token", "The session was idle for too long")


async def test_sessions_expire_at_their_absolute_lifetime(client, api, platform) -> None:
    user, tokens = await api.new_user()
    with psycopg.connect(platform.admin_url) as conn:
        conn.execute(
            "UPDATE auth.sessions SET expires_at = now() - interval '1 second' WHERE user_id = %s",
            (user["id"],),
        )
    response = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert_problem(
        response, 401, "invalid-refresh-token", "The session has reached its maximum lifetime"
    )


async def test_logout_ends_the_session_at_once(client, api) -> None:
    user, tokens = await api.new_user()
    other = await api.login(user["email"])
    headers = api.bearer(tokens["access_token"])
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    me = await client.get("/api/auth/me", headers=headers)
    assert_problem(me, 401, "invalid-token", "The session of this access token has ended")
    assert me.headers["www-authenticate"] == (
        'Bearer realm="chiiki", error="invalid_token", '
        'error_description="The session of this access token has ended"'
    )
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    # Only that session: the user's other login goes on.
    assert (
        await client.get("/api/auth/me", headers=api.bearer(other["access_token"]))
    ).status_code == 200


async def test_password_change_needs_the_current_password(client, api) -> None:
    _, tokens = await api.new_user()
    response = await client.post(
        "/api/auth/me/password",
        headers=api.bearer(tokens["access_token"]),
        json={"current_password": "wrong-password-here", "new_password": "amber-kestrel-violin"},
    )
    assert_problem(response, 403, "wrong-password", "The current password is incorrect")


async def test_password_change_ends_every_other_session(client, api) -> None:
    user, tokens = await api.new_user()
    other = await api.login(user["email"])
    response = await client.post(
        "/api/auth/me/password",
        headers=api.bearer(tokens["access_token"]),
        json={"current_password": api.password, "new_password": "amber-kestrel-violin"},
    )
    assert response.status_code == 200
    fresh = response.json()
    assert (
        await client.get("/api/auth/me", headers=api.bearer(fresh["access_token"]))
    ).status_code == 200
    for old in (tokens, other):
        me = await client.get("/api/auth/me", headers=api.bearer(old["access_token"]))
        assert me.status_code == 401
        refresh = await client.post(
            "/api/auth/refresh", json={"refresh_token": old["refresh_token"]}
        )
        assert refresh.status_code == 401
    assert (
        await client.post("/api/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    ).status_code == 200
    await api.login(user["email"], "amber-kestrel-violin")
    failed = await client.post(
        "/api/auth/login", json={"email": user["email"], "password": api.password}
    )
    assert failed.status_code == 401


async def test_new_password_follows_the_policy(client, api) -> None:
    user, tokens = await api.new_user()
    response = await client.post(
        "/api/auth/me/password",
        headers=api.bearer(tokens["access_token"]),
        json={"current_password": api.password, "new_password": user["email"]},
    )
    body = assert_problem(
        response,
        422,
        "weak-password",
        "The password must not contain the email address or its part before the @",
    )
    assert body["rule"] == "email"
    assert body["errors"][0]["field"] == "body.new_password"
    breached = await client.post(
        "/api/auth/me/password",
        headers=api.bearer(tokens["access_token"]),
        json={"current_password": api.password, "new_password": "blackpanther"},
    )
    body = assert_problem(
        breached,
        422,
        "weak-password",
        "The password is in a list of the most common passwords found in data breaches",
    )
    assert (body["rule"], body["errors"][0]["field"]) == ("breached", "body.new_password")


async def test_disabling_a_user_ends_their_sessions_and_logins(client, api) -> None:
    user, tokens = await api.new_user()
    admin = api.bearer((await api.admin())["access_token"])
    response = await client.patch(
        f"/api/auth/users/{user['id']}", headers=admin, json={"disabled": True}
    )
    assert response.status_code == 200
    assert response.json()["disabled"] is True
    me = await client.get("/api/auth/me", headers=api.bearer(tokens["access_token"]))
    assert me.status_code == 401
    refresh = await client.post(
        "/api/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refresh.status_code == 401
    login = await client.post(
        "/api/auth/login", json={"email": user["email"], "password": api.password}
    )
    assert_problem(login, 401, "invalid-credentials", "The email or password is incorrect")
    enabled = await client.patch(
        f"/api/auth/users/{user['id']}", headers=admin, json={"disabled": False}
    )
    assert enabled.json()["disabled"] is False
    await api.login(user["email"])


async def test_role_change_takes_effect_on_the_next_login(client, api) -> None:
    user, tokens = await api.new_user()
    admin = api.bearer((await api.admin())["access_token"])
    promoted = await client.patch(
        f"/api/auth/users/{user['id']}", headers=admin, json={"role": "admin"}
    )
    assert promoted.json()["role"] == "admin"
    # Tokens that carry the old role stop working; a new login carries the new one.
    old = await client.get("/api/auth/me", headers=api.bearer(tokens["access_token"]))
    assert old.status_code == 401
    fresh = await api.login(user["email"])
    listing = await client.get("/api/auth/users", headers=api.bearer(fresh["access_token"]))
    assert listing.status_code == 200
    demoted = await client.patch(
        f"/api/auth/users/{user['id']}", headers=admin, json={"role": "user"}
    )
    assert demoted.json()["role"] == "user"
