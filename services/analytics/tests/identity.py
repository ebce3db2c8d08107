"""Access tokens for tests: signed with a test key that the apps' token guards trust.

The guards are the real ones of chiiki_shared.security (signature, claims, revocation in Redis);
only the key source differs from production, where keys come from the auth service's JWKS.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI

from chiiki_shared.security import (
    ACCESS_TOKEN_TYPE,
    ALGORITHM,
    GUARD_EXTRA,
    AccessTokenVerifier,
    RevocationList,
    TokenGuard,
)

KID = "analytics-tests"
_KEY = ec.generate_private_key(ec.SECP256R1())


class TestKeys:
    async def get(self, kid: str) -> Any | None:
        return _KEY.public_key() if kid == KID else None


def trust_test_tokens(app: FastAPI) -> None:
    runtime = app.state.runtime
    settings = runtime.settings
    verifier = AccessTokenVerifier(
        TestKeys(), issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    runtime.extras[GUARD_EXTRA] = TokenGuard(
        verifier, RevocationList(runtime.redis, settings.redis_key_prefix)
    )


def bearer(user_id: str, role: str = "user", *, issuer: str, audience: str) -> dict[str, str]:
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": user_id,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        "jti": uuid.uuid4().hex,
        "sid": uuid.uuid4().hex,
        "role": role,
    }
    token = jwt.encode(
        claims, _KEY, algorithm=ALGORITHM, headers={"kid": KID, "typ": ACCESS_TOKEN_TYPE}
    )
    return {"Authorization": f"Bearer {token}"}
