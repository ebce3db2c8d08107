"""Scope checks of chiiki_shared.security: client tokens (the client-credentials grant) may do
only what their scopes allow; user tokens keep being checked by role."""

import time
import uuid
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter

from chiiki_analytics.config import AnalyticsSettings
from chiiki_devstack.pytest_plugin import serve_app
from chiiki_shared.app import create_service_app
from chiiki_shared.security import (
    GUARD_EXTRA,
    ROLE_SCOPES,
    SCOPES,
    AdminUser,
    CurrentUser,
    Principal,
    ReadAccess,
    TokenGuard,
    require_scope,
)
from chiiki_stats.config import StatsSettings

KEY = ec.generate_private_key(ec.SECP256R1())
KID = "scope-test"


class StaticKeys:
    async def get(self, kid: str) -> object | None:
        return KEY.public_key() if kid == KID else None


def client_token(scope: str | None = "stats:read", **changes: object) -> str:
    now = int(time.time())
    client_id = str(uuid.uuid4())
    claims: dict[str, object] = {
        "iss": "chiiki-auth",
        "aud": "chiiki-api",
        "sub": client_id,
        "client_id": client_id,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
        "scope": scope,
    }
    claims.update(changes)
    payload = {key: value for key, value in claims.items() if value is not None}
    return jwt.encode(payload, KEY, algorithm="ES256", headers={"kid": KID, "typ": "at+jwt"})


def user_token(role: str) -> str:
    now = int(time.time())
    payload = {
        "iss": "chiiki-auth",
        "aud": "chiiki-api",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
        "role": role,
    }
    return jwt.encode(payload, KEY, algorithm="ES256", headers={"kid": KID, "typ": "at+jwt"})


router = APIRouter()


@router.get("/api/probe/read")
async def read(principal: ReadAccess) -> dict:
    assert principal is not None
    return {"id": principal.user_id, "role": principal.role, "scopes": sorted(principal.scopes)}


@router.post("/api/probe/user")
async def write(principal: CurrentUser) -> dict:
    return {"id": principal.user_id}


@router.get("/api/probe/admin")
async def admin_read(principal: AdminUser) -> dict:
    return {"id": principal.user_id}


@router.post("/api/probe/admin")
async def admin_write(principal: AdminUser) -> dict:
    return {"id": principal.user_id}


@router.get("/api/probe/ingest-runs", dependencies=[require_scope("ingest:read")])
async def ingest_runs() -> dict:
    return {"ok": True}


async def _serve(settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_service_app(settings, title="probe", description="probe", routers=[router])
    async with serve_app(app) as client:
        runtime = app.state.runtime
        runtime.extras[GUARD_EXTRA] = TokenGuard.for_settings(
            runtime.settings, runtime.redis, StaticKeys()
        )
        yield client


@pytest.fixture
async def stats(platform) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _serve(StatsSettings()):
        yield client


@pytest.fixture
async def analytics(platform) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _serve(AnalyticsSettings()):
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_insufficient_scope(response: httpx.Response, scope: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert (body["code"], body["detail"], body["required_scope"]) == (
        "insufficient-scope",
        f"This action needs the {scope} scope",
        scope,
    )
    assert response.headers["www-authenticate"] == (
        f'Bearer realm="chiiki", error="insufficient_scope", '
        f'error_description="This action needs the {scope} scope"'
    )


async def test_a_client_token_reads_with_its_scope(stats) -> None:
    token = client_token("stats:read")
    response = await stats.get("/api/probe/read", headers=bearer(token))
    assert response.status_code == 200, response.text
    sub = jwt.decode(token, options={"verify_signature": False})["sub"]
    assert response.json() == {"id": sub, "role": "client", "scopes": ["stats:read"]}


async def test_a_client_token_does_only_what_its_scopes_allow(stats, analytics) -> None:
    reader = bearer(client_token("stats:read"))
    # Writes in the same service need stats:write, admin routes included.
    assert_insufficient_scope(await stats.post("/api/probe/user", headers=reader), "stats:write")
    assert_insufficient_scope(await stats.post("/api/probe/admin", headers=reader), "stats:write")
    # Another service's reads need that service's scope.
    assert_insufficient_scope(
        await analytics.get("/api/probe/read", headers=reader), "analytics:read"
    )
    assert_insufficient_scope(
        await stats.get("/api/probe/ingest-runs", headers=reader), "ingest:read"
    )
    writer = bearer(client_token("stats:read stats:write"))
    assert (await stats.post("/api/probe/admin", headers=writer)).status_code == 200
    assert (await stats.get("/api/probe/admin", headers=writer)).status_code == 200
    ingest = bearer(client_token("ingest:read"))
    assert (await stats.get("/api/probe/ingest-runs", headers=ingest)).status_code == 200


async def test_user_tokens_keep_their_roles(stats) -> None:
    user, admin = bearer(user_token("user")), bearer(user_token("admin"))
    assert (await stats.get("/api/probe/read", headers=user)).json()["scopes"] == sorted(
        ROLE_SCOPES["user"]
    )
    assert (await stats.post("/api/probe/user", headers=user)).status_code == 200
    refused = await stats.post("/api/probe/admin", headers=user)
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "This action needs the admin role",
    )
    assert (await stats.post("/api/probe/admin", headers=admin)).status_code == 200
    # A role implies its scopes: ingest:read is the admin's, not the user's.
    assert (await stats.get("/api/probe/ingest-runs", headers=admin)).status_code == 200
    assert_insufficient_scope(
        await stats.get("/api/probe/ingest-runs", headers=user), "ingest:read"
    )


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (
            lambda: client_token(client_id="someone-else"),
            "The access token's client_id and sub differ",
        ),
        (lambda: client_token(role="admin"), "A client token carries no role"),
        (lambda: client_token(scope=None), "The access token lacks the scope claim"),
        (lambda: client_token("auth:admin"), "The access token has an unknown scope"),
        (lambda: client_token(""), "The access token has an unknown scope"),
    ],
    ids=["client_id differs", "role", "no scope", "unknown scope", "empty scope"],
)
async def test_malformed_client_tokens_are_refused(stats, token, detail) -> None:
    response = await stats.get("/api/probe/read", headers=bearer(token()))
    assert (response.status_code, response.json()["code"], response.json()["detail"]) == (
        401,
        "invalid-token",
        detail,
    )


def test_scopes_are_a_small_closed_set() -> None:
    assert SCOPES == (
        "stats:read",
        "stats:write",
        "analytics:read",
        "analytics:write",
        "ingest:read",
        "ingest:write",
    )
    assert ROLE_SCOPES["admin"] == frozenset(SCOPES)
    client = Principal(
        "c", "client", "s", "j", 1, 2, client_id="c", client_scopes=frozenset({"stats:read"})
    )
    assert client.is_client
    assert not client.is_admin
    assert client.allows("stats:read")
    assert not client.allows("stats:write")
    with pytest.raises(ValueError, match="unknown scope"):
        require_scope("auth:admin")
