"""Service accounts: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) and the admin's
management of clients, on the real app, Postgres and Redis."""

import base64
import hashlib
import json
import uuid
from urllib.parse import quote_plus

import httpx
import jwt
import psycopg
import pytest

from .conftest import TEST_KEY, AuthApi, assert_problem

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
GRANT = {"grant_type": "client_credentials"}


def basic(client_id: str, secret: str) -> dict[str, str]:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}


async def new_client(api: AuthApi, scopes: list[str] | None = None) -> dict:
    admin = await api.admin()
    response = await api.client.post(
        "/api/auth/clients",
        headers=api.bearer(admin["access_token"]),
        json={"name": f"worker-{uuid.uuid4().hex[:8]}", "scopes": scopes or ["stats:read"]},
    )
    assert response.status_code == 201, response.text
    return response.json()


async def grant(client: httpx.AsyncClient, created: dict, **form: str) -> httpx.Response:
    return await client.post(
        "/api/auth/token",
        data={**GRANT, **form},
        headers=basic(created["id"], created["client_secret"]),
    )


def assert_oauth_error(response: httpx.Response, status: int, error: str, description: str) -> dict:
    body = assert_problem(response, status, error.replace("_", "-"), description)
    assert (body["error"], body["error_description"]) == (error, description)
    assert response.headers["cache-control"] == "no-store"
    return body


def claims_of(token: str) -> dict:
    return jwt.decode(token, TEST_KEY.public_key(), algorithms=["ES256"], audience="chiiki-api")


def db_row(platform, query: str, *args: object) -> tuple | None:
    with psycopg.connect(platform.admin_url) as conn:
        return conn.execute(query, args).fetchone()


async def test_an_admin_creates_a_client_and_sees_its_secret_once(client, api, platform) -> None:
    created = await new_client(api, ["stats:read", "analytics:read"])
    secret = created["client_secret"]
    assert len(secret) >= 43
    assert created["scopes"] == ["analytics:read", "stats:read"]
    assert created["revoked_at"] is None
    admin = api.bearer((await api.admin())["access_token"])
    shown = (await client.get(f"/api/auth/clients/{created['id']}", headers=admin)).json()
    assert shown == {key: value for key, value in created.items() if key != "client_secret"}
    assert shown in await api.every("/api/auth/clients?limit=2", admin)
    # Only a hash is stored: the plaintext is nowhere in the row.
    row = db_row(
        platform, "SELECT c::text, c.secret_hash FROM auth.clients c WHERE id = %s", created["id"]
    )
    assert row is not None
    assert secret not in row[0]
    assert row[1] == hashlib.sha256(secret.encode()).hexdigest()


async def test_the_grant_with_basic_or_form_credentials(client, api, platform) -> None:
    created = await new_client(api, ["stats:read", "analytics:read"])
    by_basic = await grant(client, created)
    by_form = await client.post(
        "/api/auth/token",
        data={**GRANT, "client_id": created["id"], "client_secret": created["client_secret"]},
    )
    secret_id = db_row(platform, "SELECT secret_id FROM auth.clients WHERE id = %s", created["id"])
    for response in (by_basic, by_form):
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
        assert (body["token_type"], body["expires_in"], body["scope"]) == (
            "Bearer",
            600,
            "analytics:read stats:read",
        )
        token = claims_of(body["access_token"])
        assert jwt.get_unverified_header(body["access_token"])["typ"] == "at+jwt"
        assert (token["sub"], token["client_id"], token["scope"]) == (
            created["id"],
            created["id"],
            "analytics:read stats:read",
        )
        assert token["sid"] == str(secret_id[0])
        assert token["exp"] - token["iat"] == 600
        assert "role" not in token


async def test_a_narrower_scope_can_be_asked_for(client, api) -> None:
    created = await new_client(api, ["stats:read", "analytics:read"])
    response = await grant(client, created, scope="stats:read")
    assert response.json()["scope"] == "stats:read"
    assert claims_of(response.json()["access_token"])["scope"] == "stats:read"


async def test_client_tokens_create_no_sessions(client, api, platform) -> None:
    created = await new_client(api)
    count = (
        "SELECT (SELECT count(*) FROM auth.sessions), (SELECT count(*) FROM auth.refresh_tokens)"
    )
    before = db_row(platform, count)
    for _ in range(3):
        assert (await grant(client, created)).status_code == 200
    assert db_row(platform, count) == before


async def test_every_rfc_error(client, api) -> None:
    created = await new_client(api, ["stats:read"])
    ok = basic(created["id"], created["client_secret"])
    cases = [
        (
            await client.post("/api/auth/token", json=GRANT, headers=ok),
            400,
            "invalid_request",
            "Send the token request as application/x-www-form-urlencoded",
        ),
        (
            await client.post("/api/auth/token", data={"scope": "stats:read"}, headers=ok),
            400,
            "invalid_request",
            "The grant_type parameter is missing",
        ),
        (
            await client.post(
                "/api/auth/token",
                content="grant_type=client_credentials&scope=a&scope=b",
                headers={**ok, **FORM},
            ),
            400,
            "invalid_request",
            "Parameters given more than once: ['scope']",
        ),
        (
            await client.post(
                "/api/auth/token",
                data={**GRANT, "client_secret": created["client_secret"]},
                headers=ok,
            ),
            400,
            "invalid_request",
            "Authenticate the client with one method only",
        ),
        (
            await client.post(
                "/api/auth/token",
                data={"grant_type": "password", "username": "a", "password": "b"},
                headers=ok,
            ),
            400,
            "unsupported_grant_type",
            "Only grant_type=client_credentials is supported here",
        ),
        (
            await grant(client, created, scope="stats:write"),
            400,
            "invalid_scope",
            "Scopes not allowed to this client: stats:write",
        ),
        (
            await grant(client, created, scope="stats:read auth:admin"),
            400,
            "invalid_scope",
            "Unknown scopes: auth:admin",
        ),
    ]
    for response, status, error, description in cases:
        assert_oauth_error(response, status, error, description)


@pytest.mark.parametrize(
    ("headers", "form", "description"),
    [
        ({}, {}, "Client authentication is required"),
        ("wrong secret", {}, "Client authentication failed"),
        ("unknown client", {}, "Client authentication failed"),
        ({"Authorization": "Basic not*base64"}, {}, "The Basic credentials are malformed"),
        ({"Authorization": "Bearer abc"}, {}, "Authenticate the client with HTTP Basic"),
        ({}, {"client_id": "x"}, "Client authentication is required"),
    ],
    ids=["none", "wrong secret", "unknown client", "malformed basic", "other scheme", "id only"],
)
async def test_invalid_client_is_401_with_a_basic_challenge(
    client, api, headers, form, description
) -> None:
    created = await new_client(api)
    if headers == "wrong secret":
        headers = basic(created["id"], created["client_secret"] + "x")
    elif headers == "unknown client":
        headers = basic(str(uuid.uuid4()), created["client_secret"])
    response = await client.post("/api/auth/token", data={**GRANT, **form}, headers=headers)
    assert_oauth_error(response, 401, "invalid_client", description)
    assert response.headers["www-authenticate"] == 'Basic realm="chiiki"'


async def test_failed_client_authentications_are_logged_without_the_secret(
    client, api, capsys
) -> None:
    created = await new_client(api)
    capsys.readouterr()
    wrong = created["client_secret"][::-1]
    await client.post("/api/auth/token", data=GRANT, headers=basic(created["id"], wrong))
    lines = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")
    ]
    failed = [line for line in lines if line.get("event") == "client_auth_failed"]
    assert [(e["client_id"], e["reason"], e["category"]) for e in failed] == [
        (created["id"], "wrong_secret", "security")
    ]
    assert all(wrong not in json.dumps(line) for line in lines)


async def test_failed_client_authentications_are_throttled_per_client_id(auth_app, api) -> None:
    async with auth_app(client_max_failures=3, client_window_seconds=600) as client:
        api.client = client
        created, other = await new_client(api), await new_client(api)
        wrong = basic(created["id"], "x" * 43)
        statuses = [
            (await client.post("/api/auth/token", data=GRANT, headers=wrong)).status_code
            for _ in range(3)
        ]
        assert statuses == [401, 401, 401]
        blocked = await grant(client, created)
        assert_problem(blocked, 429, "too-many-requests", blocked.json()["detail"])
        assert 590 <= int(blocked.headers["retry-after"]) <= 600
        # Another client is not affected.
        assert (await grant(client, other)).status_code == 200


async def test_user_lockouts_from_the_same_address_do_not_block_clients(auth_app, api) -> None:
    created = await new_client(api)  # before the tight limits: the suite fails logins too
    user = await api.register()
    async with auth_app(login_ip_max_failures=2, login_account_max_failures=2) as client:
        shared = {"X-Forwarded-For": "198.51.100.23"}
        guess = {"email": user["email"], "password": "not-the-password"}
        for _ in range(2):
            failed = await client.post("/api/auth/login", json=guess, headers=shared)
            assert failed.status_code == 401
        # The account and the address are both locked now.
        locked = await client.post("/api/auth/login", json=guess, headers=shared)
        assert locked.status_code == 429
        response = await client.post(
            "/api/auth/token",
            data=GRANT,
            headers={**shared, **basic(created["id"], created["client_secret"])},
        )
        assert response.status_code == 200, response.text


async def verify(client: httpx.AsyncClient, token: str, **required: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    headers.update({f"X-Required-{name.title()}": value for name, value in required.items()})
    return await client.get("/internal/verify", headers=headers)


async def test_the_gateway_check_knows_scopes(client, api) -> None:
    created = await new_client(api, ["stats:read"])
    token = (await grant(client, created)).json()["access_token"]
    ok = await verify(client, token, scope="stats:read")
    assert ok.status_code == 204
    assert (ok.headers["x-user-id"], ok.headers["x-user-role"]) == (created["id"], "client")
    refused = await verify(client, token, role="admin", scope="ingest:read")
    assert (refused.status_code, refused.headers["x-problem-code"]) == (403, "insufficient-scope")
    # Locations without a scope (accounts, user and client management) are closed to clients.
    for required in ({}, {"role": "admin"}):
        closed = await verify(client, token, **required)
        assert closed.status_code == 403
        assert (
            closed.headers["x-problem-detail"] == "This action is for users, not for client tokens"
        )
    # User tokens keep their role checks and ignore the scope header.
    _, user = await api.new_user()
    assert (await verify(client, user["access_token"], scope="ingest:read")).status_code == 204
    assert (await verify(client, user["access_token"], role="admin")).status_code == 403


async def test_client_tokens_reach_no_account_route(client, api) -> None:
    created = await new_client(api, ["stats:read"])
    token = api.bearer((await grant(client, created)).json()["access_token"])
    for method, path in [
        ("GET", "/api/auth/me"),
        ("GET", "/api/auth/clients"),
        ("POST", "/api/auth/logout"),
    ]:
        response = await client.request(method, path, headers=token)
        assert_problem(
            response, 403, "insufficient-scope", "This action is for users, not for client tokens"
        )


async def test_client_management_is_for_admins(client, api) -> None:
    _, user = await api.new_user()
    headers = api.bearer(user["access_token"])
    body = {"name": "sneaky", "scopes": ["ingest:write"]}
    for response in (
        await client.post("/api/auth/clients", json=body, headers=headers),
        await client.get("/api/auth/clients", headers=headers),
        await client.delete(f"/api/auth/clients/{uuid.uuid4()}", headers=headers),
    ):
        assert_problem(response, 403, "forbidden", "This action needs the admin role")


async def test_client_input_is_checked(client, api) -> None:
    admin = api.bearer((await api.admin())["access_token"])
    unknown = await client.post(
        "/api/auth/clients", json={"name": "x", "scopes": ["auth:admin"]}, headers=admin
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "body.scopes.0"
    created = await new_client(api)
    taken = await client.post(
        "/api/auth/clients", json={"name": created["name"], "scopes": ["stats:read"]}, headers=admin
    )
    assert_problem(
        taken, 409, "client-name-taken", f"An active client is already named {created['name']!r}"
    )
    missing = await client.get(f"/api/auth/clients/{uuid.UUID(int=0)}", headers=admin)
    assert_problem(missing, 404, "not-found", f"No client has id {uuid.UUID(int=0)}")


async def test_a_revoked_client_is_refused_and_its_tokens_end(client, api) -> None:
    created = await new_client(api, ["stats:read"])
    token = (await grant(client, created)).json()["access_token"]
    assert (await verify(client, token, scope="stats:read")).status_code == 204
    admin = api.bearer((await api.admin())["access_token"])
    revoked = await client.delete(f"/api/auth/clients/{created['id']}", headers=admin)
    assert revoked.status_code == 204
    ended = await verify(client, token, scope="stats:read")
    assert (ended.status_code, ended.headers["x-problem-detail"]) == (
        401,
        "The session of this access token has ended",
    )
    assert_oauth_error(
        await grant(client, created), 401, "invalid_client", "Client authentication failed"
    )
    shown = (await client.get(f"/api/auth/clients/{created['id']}", headers=admin)).json()
    assert shown["revoked_at"] is not None
    again = await client.delete(f"/api/auth/clients/{created['id']}", headers=admin)
    assert again.status_code == 204
    rotate = await client.post(f"/api/auth/clients/{created['id']}/secret", headers=admin)
    assert_problem(rotate, 409, "client-revoked", "A revoked client cannot get a new secret")
    # Its name is free again for a new client.
    recreated = await client.post(
        "/api/auth/clients", json={"name": created["name"], "scopes": ["stats:read"]}, headers=admin
    )
    assert recreated.status_code == 201


async def test_rotating_the_secret_ends_the_old_one_and_its_tokens(client, api) -> None:
    created = await new_client(api, ["stats:read"])
    old_token = (await grant(client, created)).json()["access_token"]
    admin = api.bearer((await api.admin())["access_token"])
    rotated = await client.post(f"/api/auth/clients/{created['id']}/secret", headers=admin)
    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    new_secret = rotated.json()["client_secret"]
    assert new_secret != created["client_secret"]
    assert rotated.json()["secret_rotated_at"] is not None
    assert (await verify(client, old_token, scope="stats:read")).status_code == 401
    assert_oauth_error(
        await grant(client, created), 401, "invalid_client", "Client authentication failed"
    )
    fresh = await grant(client, {**created, "client_secret": new_secret})
    assert fresh.status_code == 200
    assert (
        await verify(client, fresh.json()["access_token"], scope="stats:read")
    ).status_code == 204


async def test_bootstrap_clients_are_created_once(auth_app, platform) -> None:
    declared = {
        "id": str(uuid.uuid4()),
        "name": f"bootstrap-{uuid.uuid4().hex[:8]}",
        "secret": "s" * 20 + uuid.uuid4().hex,
        "scopes": ["stats:read"],
    }
    for _ in range(2):  # a restart changes nothing
        async with auth_app(bootstrap_clients=[declared]) as client:
            response = await grant(
                client, {"id": declared["id"], "client_secret": declared["secret"]}
            )
            assert response.status_code == 200, response.text
    query = "SELECT count(*), max(created_by::text), max(scopes::text) FROM auth.clients"
    rows = db_row(platform, query + " WHERE name = %s", declared["name"])
    assert rows == (1, None, "{stats:read}")


async def test_a_bootstrap_client_whose_name_is_taken_is_left_out(auth_app, api, capsys) -> None:
    taken = await new_client(api)
    declared = {
        "id": str(uuid.uuid4()),
        "name": taken["name"],
        "secret": uuid.uuid4().hex * 2,
        "scopes": ["stats:read"],
    }
    capsys.readouterr()
    async with auth_app(bootstrap_clients=[declared]) as client:
        refused = await grant(client, {"id": declared["id"], "client_secret": declared["secret"]})
        assert refused.status_code == 401
        # The auth service is up and the existing client unchanged.
        assert (await grant(client, taken)).status_code == 200
    assert '"event": "bootstrap_client_name_taken"' in capsys.readouterr().out


def test_bootstrap_clients_need_strong_secrets_and_known_scopes() -> None:
    from pydantic import ValidationError

    from chiiki_auth.config import BootstrapClient

    base = {"id": str(uuid.uuid4()), "name": "w", "secret": "x" * 32, "scopes": ["stats:read"]}
    BootstrapClient.model_validate(base)
    with pytest.raises(ValidationError, match="at least 32"):
        BootstrapClient.model_validate({**base, "secret": "short"})
    with pytest.raises(ValidationError, match="unknown scopes"):
        BootstrapClient.model_validate({**base, "scopes": ["auth:admin"]})


async def test_the_command_line_creates_lists_and_revokes_clients(
    client, monkeypatch, capsys
) -> None:
    import asyncio

    from chiiki_auth.__main__ import main

    from .conftest import TEST_KID, signing_keys_json

    keys = signing_keys_json((TEST_KID, TEST_KEY, "2020-01-01T00:00:00+00:00"))
    monkeypatch.setenv("AUTH_SIGNING_KEYS", keys)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    capsys.readouterr()
    args = ["clients", "create", "--name", name, "--scopes", "stats:read", "ingest:read"]
    assert await asyncio.to_thread(main, args) == 0
    created = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert (created["name"], created["scopes"]) == (name, ["ingest:read", "stats:read"])
    response = await grant(client, created)
    assert (response.status_code, response.json()["scope"]) == (200, "ingest:read stats:read")
    assert await asyncio.to_thread(main, ["clients", "revoke", created["id"]]) == 0
    capsys.readouterr()
    assert (await grant(client, created)).status_code == 401
    with pytest.raises(SystemExit):
        main(["clients", "create", "--name", name, "--scopes", "auth:admin"])
