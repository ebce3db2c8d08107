"""Access-token verification: the attacks of RFC 8725, through the auth service's own routes and
through another service that verifies with chiiki_shared.security and the JWKS over HTTP."""

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import APIRouter

from chiiki_auth.main import create_app
from chiiki_devstack.pytest_plugin import serve_app
from chiiki_shared.app import create_service_app
from chiiki_shared.errors import DependencyUnavailable
from chiiki_shared.security import (
    GUARD_EXTRA,
    AdminUser,
    CurrentUser,
    JwksClient,
    Principal,
    ReadAccess,
    TokenGuard,
)
from chiiki_stats.config import StatsSettings

from .conftest import TEST_KEY, TEST_KID, assert_problem, make_settings


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**changes: object) -> dict:
    now = int(time.time())
    values = {
        "iss": "chiiki-auth",
        "aud": "chiiki-api",
        "sub": str(uuid.uuid4()),
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "sid": str(uuid.uuid4()),
        "role": "user",
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}


def sign(payload: dict, *, key=TEST_KEY, kid: str = TEST_KID, typ: str = "at+jwt") -> str:
    return jwt.encode(payload, key, algorithm="ES256", headers={"kid": kid, "typ": typ})


def unsigned(payload: dict, header: dict) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}."


def hs256_with_public_key(payload: dict) -> str:
    secret = TEST_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = b64(json.dumps({"alg": "HS256", "typ": "at+jwt", "kid": TEST_KID}).encode())
    body = b64(json.dumps(payload).encode())
    mac = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(mac)}"


def tampered(token: str) -> str:
    head, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["role"] = "admin"
    return f"{head}.{b64(json.dumps(payload).encode())}.{signature}"


OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
HOUR = 3600

ATTACKS = {
    "alg none": (
        lambda: unsigned(claims(), {"alg": "none", "typ": "at+jwt", "kid": TEST_KID}),
        "The access token must be signed with ES256",
    ),
    "HS256 signed with the public key": (
        lambda: hs256_with_public_key(claims()),
        "The access token must be signed with ES256",
    ),
    "expired": (
        lambda: sign(
            claims(
                iat=int(time.time()) - 2 * HOUR,
                nbf=int(time.time()) - 2 * HOUR,
                exp=int(time.time()) - HOUR,
            )
        ),
        "The access token has expired",
    ),
    "not yet valid": (
        lambda: sign(claims(nbf=int(time.time()) + HOUR)),
        "The access token is not valid yet",
    ),
    "wrong iss": (
        lambda: sign(claims(iss="https://evil.example")),
        "The access token comes from an unknown issuer",
    ),
    "wrong aud": (
        lambda: sign(claims(aud="another-api")),
        "The access token is meant for another audience",
    ),
    "tampered payload": (
        lambda: tampered(sign(claims())),
        "The access token signature does not verify",
    ),
    "unknown kid": (
        lambda: sign(claims(), key=OTHER_KEY, kid="attacker-key"),
        "The access token is signed with an unknown key",
    ),
    "right kid, wrong key": (
        lambda: sign(claims(), key=OTHER_KEY),
        "The access token signature does not verify",
    ),
    "not typed as an access token": (
        lambda: sign(claims(), typ="JWT"),
        "The token is not an access token",
    ),
    "missing sid": (
        lambda: sign(claims(sid=None)),
        "The access token lacks the sid claim",
    ),
    "missing jti": (
        lambda: sign(claims(jti=None)),
        "The access token lacks the jti claim",
    ),
    "unknown role": (
        lambda: sign(claims(role="root")),
        "The access token has an unknown role",
    ),
    "garbage": (lambda: "not-a-jwt", "The access token is malformed"),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
async def test_forged_tokens_are_refused(client, attack: str) -> None:
    make_token, detail = ATTACKS[attack]
    token = make_token()
    for path in ("/internal/verify", "/api/auth/me"):
        response = await client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401, "invalid-token", detail, title="Invalid access token")
        assert response.headers["www-authenticate"] == (
            f'Bearer realm="chiiki", error="invalid_token", error_description="{detail}"'
        )


async def test_a_well_formed_token_passes(client) -> None:
    payload = claims(role="admin")
    response = await client.get(
        "/internal/verify", headers={"Authorization": f"Bearer {sign(payload)}"}
    )
    assert response.status_code == 204
    assert (response.headers["x-user-id"], response.headers["x-user-role"]) == (
        payload["sub"],
        "admin",
    )


async def test_a_refresh_token_is_not_an_access_token(client, api) -> None:
    _, tokens = await api.new_user()
    response = await client.get("/api/auth/me", headers=api.bearer(tokens["refresh_token"]))
    assert_problem(response, 401, "invalid-token", "The access token is malformed")


async def test_missing_token_is_401_with_a_challenge(client) -> None:
    for path in ("/internal/verify", "/api/auth/me"):
        response = await client.get(path)
        assert_problem(
            response,
            401,
            "authentication-required",
            "An access token is required (Authorization: Bearer <token>)",
        )
        assert response.headers["www-authenticate"].startswith('Bearer realm="chiiki"')


async def test_verify_enforces_the_required_role(client, api) -> None:
    _, tokens = await api.new_user()
    headers = {**api.bearer(tokens["access_token"]), "X-Required-Role": "admin"}
    response = await client.get("/internal/verify", headers=headers)
    assert_problem(response, 403, "forbidden", "This action needs the admin role")
    assert (response.headers["x-problem-code"], response.headers["x-problem-detail"]) == (
        "forbidden",
        "This action needs the admin role",
    )


async def test_a_disabled_users_token_is_refused(client, api) -> None:
    user, tokens = await api.new_user()
    admin = api.bearer((await api.admin())["access_token"])
    await client.patch(f"/api/auth/users/{user['id']}", headers=admin, json={"disabled": True})
    response = await client.get("/internal/verify", headers=api.bearer(tokens["access_token"]))
    assert response.status_code == 401
    assert response.json()["code"] == "invalid-token"


async def test_tokens_issued_before_not_before_are_refused(client, api) -> None:
    """A token of a session the revocation list did not name still falls to "not before"."""
    user, _ = await api.new_user()
    old = sign(claims(sub=user["id"], iat=int(time.time()) - 60, nbf=int(time.time()) - 60))
    admin = api.bearer((await api.admin())["access_token"])
    await client.patch(f"/api/auth/users/{user['id']}", headers=admin, json={"role": "admin"})
    response = await client.get("/internal/verify", headers=api.bearer(old))
    assert_problem(
        response,
        401,
        "invalid-token",
        "The access token was issued before the account's sessions were ended",
    )
    await client.patch(f"/api/auth/users/{user['id']}", headers=admin, json={"role": "user"})


# -- another service verifying on its own (defence in depth) --------------------------------------

probe = APIRouter()


@probe.get("/api/stats/probe/user")
async def probe_user(principal: CurrentUser) -> dict:
    return {"user_id": principal.user_id, "role": principal.role}


@probe.post("/api/stats/probe/admin")
async def probe_admin(principal: AdminUser) -> dict:
    return {"user_id": principal.user_id}


@probe.get("/api/stats/probe/read")
async def probe_read(principal: ReadAccess) -> dict:
    return {"anonymous": principal is None}


class SteppedClock:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class CountingTransport(httpx.ASGITransport):
    """The real auth app in-process, counting the JWKS fetches that reach it; ``clock`` is the
    JWKS client's time."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fetches = 0
        self.clock = SteppedClock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        return await super().handle_async_request(request)


@pytest.fixture
async def stats_client(platform) -> AsyncIterator[tuple[httpx.AsyncClient, CountingTransport]]:
    """A stats-like app whose guard fetches the real auth app's JWKS over (in-process) HTTP."""
    auth = create_app(make_settings())
    async with auth.router.lifespan_context(auth):
        transport = CountingTransport(app=auth)
        # Time is stepped by the tests (``transport.clock``), not slept through: on a loaded
        # machine a few requests can take longer than any short refetch interval.
        jwks = JwksClient(
            "http://auth.internal/api/auth/.well-known/jwks.json",
            min_refetch_seconds=5,
            transport=transport,
            clock=transport.clock,
        )
        app = create_service_app(
            StatsSettings(), title="probe", description="probe", routers=[probe]
        )
        async with serve_app(app) as client:
            runtime = app.state.runtime
            runtime.extras[GUARD_EXTRA] = TokenGuard.for_settings(
                runtime.settings, runtime.redis, jwks
            )
            yield client, transport


async def test_services_verify_tokens_themselves(stats_client, client, api) -> None:
    stats, _ = stats_client
    user, tokens = await api.new_user()
    ok = await stats.get("/api/stats/probe/user", headers=api.bearer(tokens["access_token"]))
    assert ok.json() == {"user_id": user["id"], "role": "user"}
    forged_headers = {"X-User-Id": user["id"], "X-User-Role": "admin"}
    bypass = await stats.get("/api/stats/probe/user", headers=forged_headers)
    assert_problem(
        bypass,
        401,
        "authentication-required",
        "An access token is required (Authorization: Bearer <token>)",
    )
    admin_only = await stats.post(
        "/api/stats/probe/admin", headers={**api.bearer(tokens["access_token"]), **forged_headers}
    )
    assert_problem(admin_only, 403, "forbidden", "This action needs the admin role")
    admin = await api.admin()
    assert (
        await stats.post("/api/stats/probe/admin", headers=api.bearer(admin["access_token"]))
    ).status_code == 200
    for attack in ("alg none", "tampered payload", "expired"):
        attacked = await stats.get(
            "/api/stats/probe/user", headers=api.bearer(ATTACKS[attack][0]())
        )
        assert_problem(attacked, 401, "invalid-token", ATTACKS[attack][1])


async def test_services_see_revocations(stats_client, client, api) -> None:
    stats, _ = stats_client
    _, tokens = await api.new_user()
    headers = api.bearer(tokens["access_token"])
    assert (await stats.get("/api/stats/probe/user", headers=headers)).status_code == 200
    await client.post("/api/auth/logout", headers=headers)
    refused = await stats.get("/api/stats/probe/user", headers=headers)
    assert_problem(refused, 401, "invalid-token", "The session of this access token has ended")


async def test_anonymous_reads_follow_the_setting(stats_client, api) -> None:
    stats, _ = stats_client
    closed = await stats.get("/api/stats/probe/read")
    assert closed.status_code == 401
    stats_app_settings = stats._transport.app.state.runtime.settings  # type: ignore[attr-defined]
    stats_app_settings.anonymous_read = True
    try:
        assert (await stats.get("/api/stats/probe/read")).json() == {"anonymous": True}
        # A token, when sent, is still checked.
        bad = await stats.get("/api/stats/probe/read", headers=api.bearer("not-a-jwt"))
        assert bad.status_code == 401
    finally:
        stats_app_settings.anonymous_read = False


async def test_unknown_kids_refetch_the_jwks_at_a_limited_rate(stats_client) -> None:
    stats, transport = stats_client

    async def status_with(token: str) -> int:
        response = await stats.get(
            "/api/stats/probe/user", headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code

    assert await status_with(sign(claims())) == 200
    assert transport.fetches == 1
    made_up = sign(claims(), key=OTHER_KEY, kid="made-up")
    assert [await status_with(made_up) for _ in range(5)] == [401] * 5
    assert transport.fetches == 1  # within the refetch interval: no new fetch
    transport.clock.advance(4.9)
    assert await status_with(made_up) == 401
    assert transport.fetches == 1  # still within it
    transport.clock.advance(0.2)
    assert [await status_with(made_up) for _ in range(5)] == [401] * 5
    assert transport.fetches == 2  # one fetch for the unknown kid, then the limit again
    assert await status_with(sign(claims())) == 200
    assert transport.fetches == 2  # known kids come from the cache


async def test_warming_fetches_the_jwks_before_the_first_token(platform) -> None:
    auth = create_app(make_settings())
    async with auth.router.lifespan_context(auth):
        transport = CountingTransport(app=auth)
        jwks = JwksClient(
            "http://auth.internal/api/auth/.well-known/jwks.json",
            transport=transport,
            clock=transport.clock,
        )
        assert await jwks.warm() is True
        assert transport.fetches == 1
        assert await jwks.get(TEST_KID) is not None
        assert transport.fetches == 1


async def test_a_failed_warm_up_does_not_count_against_the_refetch_limit() -> None:
    clock = SteppedClock()
    jwks = JwksClient("http://127.0.0.1:9/api/auth/.well-known/jwks.json", clock=clock)
    assert await jwks.warm() is False
    # Within the refetch interval, yet the first token's key is fetched (and found missing)
    # rather than refused unseen.
    with pytest.raises(DependencyUnavailable):
        await jwks.get(TEST_KID)


async def test_jwks_unreachable_without_cached_keys_is_503(platform) -> None:
    app = create_service_app(
        StatsSettings(AUTH_INTERNAL_URL="http://127.0.0.1:9"),
        title="p",
        description="p",
        routers=[probe],
    )
    async with serve_app(app) as stats:
        response = await stats.get(
            "/api/stats/probe/user", headers={"Authorization": f"Bearer {sign(claims())}"}
        )
    body = assert_problem(
        response,
        503,
        "dependency-unavailable",
        "The signing keys cannot be fetched from the auth service right now",
    )
    assert body["dependency"] == "auth"
    assert response.headers["retry-after"] == "5"


def test_principal_knows_admins() -> None:
    principal = Principal("u", "admin", "s", "j", 1, 2)
    assert principal.is_admin
