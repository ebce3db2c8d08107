"""The in-process cache of verified tokens: a token's signature is checked once per few seconds,
its revocation on every request, and the cache is bounded in time, by ``exp`` and in size."""

import time
import uuid

import jwt
import pytest
import redis.asyncio as aioredis
from cryptography.hazmat.primitives.asymmetric import ec

from chiiki_shared.errors import Unauthorized
from chiiki_shared.security import (
    AccessTokenVerifier,
    Principal,
    RevocationList,
    TokenGuard,
    VerifiedTokens,
    revocations_loaded_key,
    revoked_session_key,
)

KEY = ec.generate_private_key(ec.SECP256R1())
KID = "verified-test"


class CountingKeys:
    def __init__(self) -> None:
        self.asked = 0

    async def get(self, kid: str) -> object | None:
        self.asked += 1
        return KEY.public_key() if kid == KID else None


def token(session_id: str) -> str:
    now = int(time.time())
    claims = {
        "iss": "chiiki-auth",
        "aud": "chiiki-api",
        "sub": str(uuid.uuid4()),
        "role": "user",
        "iat": now,
        "nbf": now,
        "exp": now + 300,
        "jti": uuid.uuid4().hex,
        "sid": session_id,
    }
    return jwt.encode(claims, KEY, algorithm="ES256", headers={"kid": KID, "typ": "at+jwt"})


def principal(expires_at: int) -> Principal:
    return Principal("u", "user", "s", "j", issued_at=0, expires_at=expires_at)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lasts_its_ttl_and_never_past_its_expiry() -> None:
    clock, wall = Clock(), Clock()
    cache = VerifiedTokens(ttl_seconds=5, leeway=10, clock=clock, wall_clock=wall)
    cache.put("a", principal(expires_at=2000))
    cache.put("b", principal(expires_at=1000 - 10 + 2))
    clock.now += 4.9
    assert cache.get("a") is not None
    wall.now += 2
    assert cache.get("b") is None  # expired (with leeway) before its ttl ran out
    clock.now += 0.1
    assert cache.get("a") is None
    assert len(cache) == 0


def test_the_cache_is_bounded_oldest_first() -> None:
    cache = VerifiedTokens(ttl_seconds=5, max_entries=3)
    for name in "abcd":
        cache.put(name, principal(expires_at=int(time.time()) + 300))
    assert len(cache) == 3
    assert cache.get("a") is None
    assert all(cache.get(name) is not None for name in "bcd")


async def test_a_token_is_verified_once_and_its_revocation_checked_every_time(platform) -> None:
    keys = CountingKeys()
    prefix = f"test-verified-{uuid.uuid4().hex}:"
    redis = aioredis.Redis.from_url(platform.redis_url)
    guard = TokenGuard(
        AccessTokenVerifier(keys, issuer="chiiki-auth", audience="chiiki-api"),
        RevocationList(redis, prefix),
    )
    session_id = str(uuid.uuid4())
    access = token(session_id)
    try:
        await redis.set(revocations_loaded_key(prefix), b"1", ex=60)
        first = await guard.authenticate(access)
        second = await guard.authenticate(access)
        assert first == second
        assert keys.asked == 1
        await redis.set(revoked_session_key(prefix, session_id), b"1", ex=60)
        with pytest.raises(Unauthorized, match="session of this access token has ended"):
            await guard.authenticate(access)
    finally:
        for key in await redis.keys(f"{prefix}*"):
            await redis.delete(key)
        await redis.aclose()
