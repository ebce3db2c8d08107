"""Registration, login, profile, saved settings and user administration, in-process."""

import base64
import json
import uuid
from uuid import uuid4

import psycopg
import pytest

from chiiki_auth.passwords import common_passwords

from .conftest import assert_problem


async def test_register_creates_a_user_with_a_normalised_email(client, api) -> None:
    email = api.unique_email("Mixed").replace("@chiiki.example", "@Chiiki.EXAMPLE")
    response = await client.post(
        "/api/auth/register",
        json={"email": f"  {email} ", "password": api.password, "display_name": " Hanako "},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "email", "display_name", "role", "disabled", "created_at"}
    assert (body["email"], body["display_name"], body["role"], body["disabled"]) == (
        email.lower(),
        "Hanako",
        "user",
        False,
    )


async def test_duplicate_email_is_409_whatever_its_case(client, api) -> None:
    user = await api.register()
    response = await client.post(
        "/api/auth/register",
        json={"email": user["email"].upper(), "password": api.password, "display_name": "Two"},
    )
    assert_problem(response, 409, "email-taken", "An account with this email already exists")


BREACHED = "The password is in a list of the most common passwords found in data breaches"
IN_EMAIL = "The password must not contain the email address or its part before the @"


@pytest.mark.parametrize(
    ("password", "reason", "rule"),
    [
        ("short7!", "The password must have at least 8 characters", "too_short"),
        ("x" * 129, "The password must have at most 128 characters", "too_long"),
        (" " * 8, "The password must not be only whitespace", "blank"),
        ("\t \u3000  \n   ", "The password must not be only whitespace", "blank"),
        ("iloveyou", BREACHED, "breached"),
        ("PassWord1", BREACHED, "breached"),
        # Ranked near 100,000 in the list: beyond the 10,000 that were refused before.
        ("CherryTree", BREACHED, "breached"),
        ("crossroad", BREACHED, "breached"),
        ("my-Chiiki-dashboard", "The password must not contain the product name", "product_name"),
        ("CHIIKI2026!", "The password must not contain the product name", "product_name"),
    ],
)
async def test_weak_passwords_are_refused(
    client, api, password: str, reason: str, rule: str
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": api.unique_email(), "password": password, "display_name": "Weak"},
    )
    body = assert_problem(response, 422, "weak-password", reason, title="Password refused")
    assert body["rule"] == rule
    assert body["errors"] == [
        {"field": "body.password", "message": reason, "type": "weak_password"}
    ]
    assert password not in response.text


async def test_password_equal_to_the_email_is_refused(client, api) -> None:
    email = api.unique_email()
    response = await client.post(
        "/api/auth/register",
        json={"email": email, "password": email.upper(), "display_name": "Same"},
    )
    body = assert_problem(response, 422, "weak-password", IN_EMAIL)
    assert body["rule"] == "email"


async def test_passwords_containing_the_emails_local_part_are_refused(client, api) -> None:
    local = f"Kenta.Sato{uuid4().hex[:4]}"
    email = f"{local}@chiiki.example"
    for password in (f"my-{local.upper()}-pass", f"{local.lower()}!!"):
        response = await client.post(
            "/api/auth/register",
            json={"email": email, "password": password, "display_name": "Local"},
        )
        body = assert_problem(response, 422, "weak-password", IN_EMAIL)
        assert body["rule"] == "email"
        assert password not in response.text


async def test_short_local_parts_are_not_matched_inside_passwords(client, api) -> None:
    """Local parts under 4 characters occur in too many good passwords by chance; only the
    whole address is refused for them."""
    domain = f"d{uuid4().hex[:10]}.example"
    await api.register(f"abe@{domain}", password="abe-lantern-ridge")
    response = await client.post(
        "/api/auth/register",
        json={"email": f"kai@{domain}", "password": f"x-kai@{domain}", "display_name": "K"},
    )
    assert_problem(response, 422, "weak-password", IN_EMAIL)


async def test_length_limits_are_inclusive(client, api) -> None:
    await api.register(password="Ab3$efgh")
    await api.register(password="z" * 120 + "Q7#kp2Lm")


def test_the_breached_password_list_has_the_100000_most_common() -> None:
    passwords = common_passwords()
    # NCSC's top 100,000 from Have I Been Pwned, casefolded and de-duplicated.
    assert len(passwords) == 97_777
    for common in ("123456", "password", "qwerty", "iloveyou", "crossroad"):
        assert common in passwords
    assert "CrossRoad" in passwords
    assert "violet-harbour-lantern" not in passwords
    # Eight bytes a password: well under a megabyte in memory.
    assert passwords.nbytes == 8 * len(passwords)


async def test_invalid_registration_input_is_422(client) -> None:
    response = await client.post(
        "/api/auth/register", json={"email": "not-an-email", "password": "x", "display_name": ""}
    )
    body = assert_problem(
        response, 422, "validation-failed", "Invalid value for: body.email, body.display_name"
    )
    assert [error["field"] for error in body["errors"]] == ["body.email", "body.display_name"]


async def test_login_with_json_returns_both_tokens(client, api) -> None:
    user = await api.register()
    response = await client.post(
        "/api/auth/login", json={"email": user["email"].upper(), "password": api.password}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "access_token",
        "refresh_token",
        "token_type",
        "expires_in",
        "refresh_expires_in",
    }
    assert (body["token_type"], body["expires_in"]) == ("bearer", 900)
    assert 30 * 86_400 - 5 <= body["refresh_expires_in"] <= 30 * 86_400


async def test_login_with_the_oauth2_password_form(client, api) -> None:
    user = await api.register()
    response = await client.post(
        "/api/auth/login",
        data={"grant_type": "password", "username": user["email"], "password": api.password},
    )
    assert response.status_code == 200
    me = await client.get("/api/auth/me", headers=api.bearer(response.json()["access_token"]))
    assert me.json()["email"] == user["email"]


async def test_login_form_with_another_grant_is_refused(client) -> None:
    response = await client.post(
        "/api/auth/login",
        data={"grant_type": "client_credentials", "username": "a", "password": "b"},
    )
    assert_problem(response, 400, "unsupported-grant-type", "Only grant_type=password is supported")


async def test_openapi_offers_the_password_flow_for_swagger(client) -> None:
    spec = (await client.get("/api/auth/openapi.json")).json()
    flow = spec["components"]["securitySchemes"]["chiiki"]["flows"]["password"]
    assert flow["tokenUrl"] == "/api/auth/login"
    login_body = spec["paths"]["/api/auth/login"]["post"]["requestBody"]["content"]
    assert set(login_body) == {"application/json", "application/x-www-form-urlencoded"}
    assert "/internal/verify" not in spec["paths"]


async def test_unknown_email_and_wrong_password_answer_the_same(client, api) -> None:
    user = await api.register()
    unknown = await client.post(
        "/api/auth/login", json={"email": api.unique_email(), "password": api.password}
    )
    wrong = await client.post(
        "/api/auth/login", json={"email": user["email"], "password": "not-the-password"}
    )
    for response in (unknown, wrong):
        assert_problem(
            response,
            401,
            "invalid-credentials",
            "The email or password is incorrect",
            title="Login failed",
        )
        assert response.headers["www-authenticate"] == (
            'Bearer realm="chiiki", error_description="The email or password is incorrect"'
        )
    strip = lambda body: {k: v for k, v in body.items() if k != "request_id"}  # noqa: E731
    assert strip(unknown.json()) == strip(wrong.json())


async def test_me_and_profile_update(client, api) -> None:
    user, tokens = await api.new_user()
    headers = api.bearer(tokens["access_token"])
    assert (await client.get("/api/auth/me", headers=headers)).json() == user
    response = await client.patch(
        "/api/auth/me", headers=headers, json={"display_name": "鈴木 花子"}
    )
    assert response.status_code == 200
    assert response.json() == {**user, "display_name": "鈴木 花子"}
    assert (await client.get("/api/auth/me", headers=headers)).json()["display_name"] == "鈴木 花子"


async def test_settings_save_restore_and_stale_version(client, api) -> None:
    _, tokens = await api.new_user()
    headers = api.bearer(tokens["access_token"])
    empty = await client.get("/api/auth/me/settings", headers=headers)
    assert empty.json() == {"version": 0, "settings": {}, "updated_at": None}
    document = {"dashboard": {"regions": ["13000", "27000"], "theme": "dark"}, "県": "東京"}
    saved = await client.put(
        "/api/auth/me/settings", headers=headers, json={"version": 0, "settings": document}
    )
    assert saved.status_code == 200
    assert (saved.json()["version"], saved.json()["settings"]) == (1, document)
    restored = (await client.get("/api/auth/me/settings", headers=headers)).json()
    assert (restored["version"], restored["settings"]) == (1, document)
    second = await client.put(
        "/api/auth/me/settings", headers=headers, json={"version": 1, "settings": {"a": 1}}
    )
    assert second.json()["version"] == 2
    stale = await client.put(
        "/api/auth/me/settings", headers=headers, json={"version": 1, "settings": {"b": 2}}
    )
    body = assert_problem(
        stale,
        409,
        "stale-version",
        "The settings changed since version 1; the current version is 2",
    )
    assert body["current_version"] == 2
    again_first = await client.put(
        "/api/auth/me/settings", headers=headers, json={"version": 0, "settings": {}}
    )
    assert again_first.status_code == 409


async def test_settings_have_a_size_limit(auth_app, api) -> None:
    async with auth_app(settings_max_bytes=1024) as client:
        api.client = client
        _, tokens = await api.new_user()
        headers = api.bearer(tokens["access_token"])
        big = {"notes": "x" * 1100}
        response = await client.put(
            "/api/auth/me/settings", headers=headers, json={"version": 0, "settings": big}
        )
        size = len('{"notes":""}') + 1100
        body = assert_problem(
            response,
            413,
            "settings-too-large",
            f"The settings document has {size} bytes; at most 1024 are kept",
        )
        assert body["max_bytes"] == 1024
        fits = await client.put(
            "/api/auth/me/settings", headers=headers, json={"version": 0, "settings": {"n": 1}}
        )
        assert fits.status_code == 200


async def test_users_are_listed_searched_and_paginated_by_cursor_for_admins(client, api) -> None:
    tag = api.unique_email("listing").split("@")[0]
    for index in range(3):
        await api.register(f"{tag}-{index}@chiiki.example")
    admin = api.bearer((await api.admin())["access_token"])
    first = await client.get(f"/api/auth/users?q={tag}&limit=2", headers=admin)
    assert first.status_code == 200
    body = first.json()
    assert [user["email"] for user in body["items"]] == [
        f"{tag}-0@chiiki.example",
        f"{tag}-1@chiiki.example",
    ]
    assert body["next"].startswith(f"/api/auth/users?q={tag}&limit=2&cursor=")
    second = (await client.get(body["next"], headers=admin)).json()
    assert [user["email"] for user in second["items"]] == [f"{tag}-2@chiiki.example"]
    assert second["next"] is None
    none = (await client.get("/api/auth/users?q=%25_nothing", headers=admin)).json()
    assert none == {"items": [], "next": None}


async def test_users_are_filtered_by_role(client, api) -> None:
    user = await api.register(api.unique_email("role-filter"))
    admin = api.bearer((await api.admin())["access_token"])
    admins = await api.every("/api/auth/users?role=admin", admin)
    assert admins
    assert {other["role"] for other in admins} == {"admin"}
    users = await api.every(f"/api/auth/users?role=user&q={user['email']}", admin)
    assert [other["id"] for other in users] == [user["id"]]


async def test_a_cursor_the_list_did_not_issue_is_refused(client, api) -> None:
    admin = api.bearer((await api.admin())["access_token"])
    naive = base64.urlsafe_b64encode(
        json.dumps(["2026-01-01T00:00:00", str(uuid.uuid4())]).encode()
    ).decode()
    for cursor in ("not-a-cursor", naive, "WzFd"):
        for url in ("/api/auth/users", "/api/auth/clients"):
            response = await client.get(url, params={"cursor": cursor}, headers=admin)
            assert_problem(response, 422, "validation-failed", "Invalid value for: query.cursor")
            assert response.json()["errors"][0]["field"] == "query.cursor"


async def test_user_management_is_admin_only(client, api) -> None:
    user, tokens = await api.new_user()
    headers = api.bearer(tokens["access_token"])
    listing = await client.get("/api/auth/users", headers=headers)
    assert_problem(listing, 403, "forbidden", "This action needs the admin role")
    assert listing.headers["www-authenticate"] == (
        'Bearer realm="chiiki", error="insufficient_scope", '
        'error_description="This action needs the admin role"'
    )
    change = await client.patch(
        f"/api/auth/users/{user['id']}", headers=headers, json={"role": "admin"}
    )
    assert change.status_code == 403


async def test_the_last_admin_cannot_be_demoted_or_disabled(client, api) -> None:
    admin_tokens = await api.admin()
    admin = api.bearer(admin_tokens["access_token"])
    me = (await client.get("/api/auth/me", headers=admin)).json()
    # Any other admins left by earlier tests are demoted first, so this one is the last.
    for other in await api.every("/api/auth/users?role=admin", admin):
        if other["id"] != me["id"] and not other["disabled"]:
            await client.patch(
                f"/api/auth/users/{other['id']}", headers=admin, json={"role": "user"}
            )
    for change in ({"role": "user"}, {"disabled": True}):
        response = await client.patch(f"/api/auth/users/{me['id']}", headers=admin, json=change)
        assert_problem(response, 409, "last-admin", "The last admin cannot be demoted or disabled")


async def test_admin_update_needs_a_change_and_a_known_user(client, api) -> None:
    admin = api.bearer((await api.admin())["access_token"])
    empty = await client.patch(
        "/api/auth/users/00000000-0000-0000-0000-000000000000", headers=admin, json={}
    )
    assert empty.status_code == 422
    missing = await client.patch(
        "/api/auth/users/00000000-0000-0000-0000-000000000000",
        headers=admin,
        json={"disabled": True},
    )
    assert_problem(missing, 404, "not-found", "No user has id 00000000-0000-0000-0000-000000000000")


async def test_bootstrap_admin_exists_once(client, api, platform) -> None:
    admin = api.bearer((await api.admin())["access_token"])
    me = (await client.get("/api/auth/me", headers=admin)).json()
    assert (me["email"], me["role"]) == (api.admin_email, "admin")
    with psycopg.connect(platform.admin_url) as conn:
        count = conn.execute(
            "SELECT count(*) FROM auth.users WHERE email = %s", (api.admin_email,)
        ).fetchone()
    assert count == (1,)


async def test_passwords_are_stored_as_argon2id_at_owasp_parameters(client, api, platform) -> None:
    user = await api.register()
    with psycopg.connect(platform.admin_url) as conn:
        (stored,) = conn.execute(
            "SELECT password_hash FROM auth.users WHERE id = %s", (user["id"],)
        ).fetchone()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert api.password not in stored


async def test_login_rehashes_when_the_parameters_change(auth_app, api, platform) -> None:
    async with auth_app() as client:
        api.client = client
        user = await api.register()
    async with auth_app(argon2_memory_kib=20480, argon2_time_cost=3) as client:
        api.client = client
        await api.login(user["email"])
    with psycopg.connect(platform.admin_url) as conn:
        (stored,) = conn.execute(
            "SELECT password_hash FROM auth.users WHERE id = %s", (user["id"],)
        ).fetchone()
    assert stored.startswith("$argon2id$v=19$m=20480,t=3,p=1$")


async def test_reads_accept_lang_which_changes_nothing_here(client, api) -> None:
    # Auth's answers carry no label in one language: lang is accepted (one rule for every
    # service's reads) and the answer stays the same.
    me, tokens = await api.new_user("lang")
    tag = me["email"].split("@")[0]
    user = api.bearer(tokens["access_token"])
    admin = api.bearer((await api.admin())["access_token"])
    reads = [
        ("/api/auth/me", user),
        ("/api/auth/me/sessions", user),
        (f"/api/auth/users?q={tag}", admin),
        ("/api/auth/clients?limit=1", admin),
    ]
    for path, headers in reads:
        plain = await client.get(path, headers=headers)
        separator = "&" if "?" in path else "?"
        english = await client.get(f"{path}{separator}lang=en", headers=headers)
        assert (plain.status_code, english.status_code) == (200, 200), english.text
        assert english.json() == plain.json()
    settings = await client.get("/api/auth/me/settings", headers=user)
    in_english = await client.get("/api/auth/me/settings?lang=en", headers=user)
    assert in_english.status_code == settings.status_code
    refused = await client.get("/api/auth/me?lang=fr", headers=user)
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["query.lang"]
