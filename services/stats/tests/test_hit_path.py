"""Cache hits answered before routing (``chiiki_shared.hit_path``): the same answers as the
routes give, to the callers the routes accept, with revocation read on every one and every
request counted in the metrics."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from chiiki_devstack.pytest_plugin import serve_app
from chiiki_shared.hit_path import CachedHits
from chiiki_shared.observability import REQUESTS
from chiiki_shared.security import (
    GUARD_EXTRA,
    AccessTokenVerifier,
    RevocationList,
    TokenGuard,
    not_before_key,
    revocations_loaded_key,
    revoked_session_key,
)

KID = "hit-path-tests"
KEY = ec.generate_private_key(ec.SECP256R1())
KPI = "/api/kpi?region=13000&lang=en"
LAYER = "/api/indicators/population.total/cross-section?level=prefecture&format=geojson"
# Differs from one answer to the next, whoever answers.
PER_REQUEST = ("x-request-id",)


class TestKeys:
    async def get(self, kid: str) -> Any | None:
        return KEY.public_key() if kid == KID else None


def bearer(**claims: Any) -> dict[str, str]:
    now = int(time.time())
    base = {
        "iss": "chiiki-auth",
        "aud": "chiiki-api",
        "sub": uuid.uuid4().hex,
        "role": "user",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "sid": uuid.uuid4().hex,
    }
    merged = {name: value for name, value in {**base, **claims}.items() if value is not None}
    token = jwt.encode(merged, KEY, algorithm="ES256", headers={"kid": KID, "typ": "at+jwt"})
    return {"Authorization": f"Bearer {token}"}


def claims_of(headers: dict[str, str]) -> dict[str, Any]:
    return jwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})


def hits_of(app: FastAPI) -> CachedHits:
    layer: Any = app.middleware_stack
    while not isinstance(layer, CachedHits):
        layer = layer.app
    return layer


@pytest.fixture(scope="module")
async def private_app(loaded: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """A stats app that reads to token holders only, trusting this module's key."""
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    app = create_app(StatsSettings(anonymous_read=False))
    async with serve_app(app) as client:
        runtime = app.state.runtime
        settings = runtime.settings
        verifier = AccessTokenVerifier(
            TestKeys(), issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
        revocations = RevocationList(runtime.redis, settings.redis_key_prefix)
        runtime.extras[GUARD_EXTRA] = TokenGuard(verifier, revocations)
        marker = revocations_loaded_key(settings.redis_key_prefix)
        added = await runtime.redis.set(marker, b"1", nx=True)
        await client.get("/healthz")  # builds the middleware stack
        try:
            yield app, client
        finally:
            if added:
                await runtime.redis.delete(marker)


async def twice(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    """The answer once the URL is known to the hit path (its first answer recorded it)."""
    first = await client.get(url, headers=headers)
    assert first.status_code == 200, first.text
    return first


def comparable(response: httpx.Response) -> tuple[int, dict[str, str], bytes]:
    headers = {k: v for k, v in response.headers.items() if k not in PER_REQUEST}
    return response.status_code, headers, response.content


async def by_the_routes(
    app: FastAPI, client: httpx.AsyncClient, url: str, method: str = "GET", **kw: Any
) -> Any:
    """The same request answered by the routes: the hit path forgets every URL first."""
    hits_of(app).known.clear()
    return await client.request(method, url, **kw)


@pytest.mark.parametrize(
    ("url", "extra"),
    [(KPI, {}), (LAYER, {"Accept-Encoding": "gzip"}), (LAYER, {"Accept-Encoding": "identity"})],
)
async def test_a_hit_is_the_routes_answer(private_app: Any, url: str, extra: dict) -> None:
    app, client = private_app
    headers = {**bearer(), **extra}
    await twice(client, url, headers)
    hits = hits_of(app)
    answered = hits.answered
    fast = await client.get(url, headers=headers)
    assert hits.answered == answered + 1
    assert fast.headers["x-cache"] == "HIT"
    assert fast.headers["cache-control"] == "private, no-cache"
    assert fast.headers["x-served-by"] == "stats"
    assert len(fast.headers["x-request-id"]) == 32
    if url == LAYER:
        gzipped = extra["Accept-Encoding"] == "gzip"
        assert fast.headers["vary"] == "Accept-Encoding"
        assert fast.headers.get("content-encoding") == ("gzip" if gzipped else None)
    routed = await by_the_routes(app, client, url, headers=headers)
    assert hits.answered == answered + 1
    assert comparable(fast) == comparable(routed)


async def test_if_none_match_gives_the_routes_304(private_app: Any) -> None:
    app, client = private_app
    headers = bearer()
    etag = (await twice(client, KPI, headers)).headers["etag"]
    hits = hits_of(app)
    answered = hits.answered
    conditional = {**headers, "If-None-Match": etag}
    fast = await client.get(KPI, headers=conditional)
    assert hits.answered == answered + 1
    assert (fast.status_code, fast.content, fast.headers["etag"]) == (304, b"", etag)
    assert comparable(fast) == comparable(
        await by_the_routes(app, client, KPI, headers=conditional)
    )


async def test_head_is_the_routes_head(private_app: Any) -> None:
    app, client = private_app
    headers = bearer()
    await twice(client, KPI, headers)
    hits = hits_of(app)
    answered = hits.answered
    fast = await client.head(KPI, headers=headers)
    assert hits.answered == answered + 1
    assert (fast.status_code, fast.content, fast.headers["x-cache"]) == (200, b"", "HIT")
    routed = await by_the_routes(app, client, KPI, "HEAD", headers=headers)
    assert comparable(fast) == comparable(routed)


async def test_a_revoked_session_is_refused_at_once(private_app: Any) -> None:
    app, client = private_app
    runtime = app.state.runtime
    headers = bearer()
    await twice(client, KPI, headers)
    assert (await client.get(KPI, headers=headers)).headers["x-cache"] == "HIT"
    key = revoked_session_key(runtime.settings.redis_key_prefix, claims_of(headers)["sid"])
    await runtime.redis.set(key, b"1", ex=60)
    try:
        answered = hits_of(app).answered
        refused = await client.get(KPI, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["detail"] == "The session of this access token has ended"
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "x-cache" not in refused.headers
        assert hits_of(app).answered == answered
    finally:
        await runtime.redis.delete(key)


async def test_tokens_issued_before_not_before_are_refused(private_app: Any) -> None:
    app, client = private_app
    runtime = app.state.runtime
    headers = bearer()
    await twice(client, KPI, headers)
    key = not_before_key(runtime.settings.redis_key_prefix, claims_of(headers)["sub"])
    await runtime.redis.set(key, str(int(time.time()) + 5), ex=60)
    try:
        refused = await client.get(KPI, headers=headers)
        assert refused.status_code == 401
        assert refused.json()["detail"] == (
            "The access token was issued before the account's sessions were ended"
        )
    finally:
        await runtime.redis.delete(key)


async def test_a_url_known_for_one_caller_is_refused_to_others(private_app: Any) -> None:
    app, client = private_app
    await twice(client, KPI, bearer())
    assert (await client.get(KPI, headers=bearer())).headers["x-cache"] == "HIT"
    answered = hits_of(app).answered
    anonymous = await client.get(KPI)
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "authentication-required"
    stranger = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(
        claims_of(bearer()), stranger, "ES256", headers={"kid": KID, "typ": "at+jwt"}
    )
    other_key = await client.get(KPI, headers={"Authorization": f"Bearer {forged}"})
    assert other_key.status_code == 401
    scoped = bearer(client_id="svc", sub="svc", scope="analytics:read", role=None)
    for _ in range(2):  # the second time, the token is a verified one
        no_scope = await client.get(KPI, headers=scoped)
        assert no_scope.status_code == 403
        assert no_scope.json()["code"] == "insufficient-scope"
    assert hits_of(app).answered == answered


async def test_a_hit_is_counted_and_labelled_with_its_route(private_app: Any) -> None:
    app, client = private_app
    headers = bearer()
    await twice(client, KPI, headers)
    counted = REQUESTS.labels("stats", "GET", "/api/kpi", "200")
    before = counted._value.get()
    answered = hits_of(app).answered
    assert (await client.get(KPI, headers=headers)).status_code == 200
    assert hits_of(app).answered == answered + 1
    assert counted._value.get() == before + 1
