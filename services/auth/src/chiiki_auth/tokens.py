"""Access tokens (signed JWTs, see ``chiiki_shared.security`` for the contract) and refresh
tokens (opaque random strings, stored only as their SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

import jwt

from chiiki_auth.config import AuthSettings
from chiiki_auth.keys import KeyRing
from chiiki_shared.security import ACCESS_TOKEN_TYPE, ALGORITHM

REFRESH_TOKEN_BYTES = 32


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    session_id: str


def issue_access_token(
    keys: KeyRing,
    settings: AuthSettings,
    *,
    user_id: str,
    role: str,
    session_id: str,
    now: datetime,
) -> str:
    key = keys.signing_key(now)
    issued_at = int(now.timestamp())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": user_id,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + settings.access_token_ttl_seconds,
        "jti": uuid.uuid4().hex,
        "sid": session_id,
        "role": role,
    }
    headers = {"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers=headers)


def issue_client_token(
    keys: KeyRing,
    settings: AuthSettings,
    *,
    client_id: str,
    secret_id: str,
    scopes: list[str],
    now: datetime,
) -> str:
    """A client-credentials access token: ``sub`` = ``client_id``, ``sid`` = the client's current
    secret, ``scope``, no ``role`` (the contract is in ``chiiki_shared.security``)."""
    key = keys.signing_key(now)
    issued_at = int(now.timestamp())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": client_id,
        "client_id": client_id,
        "iat": issued_at,
        "nbf": issued_at,
        "exp": issued_at + settings.client_token_ttl_seconds,
        "jti": uuid.uuid4().hex,
        "sid": secret_id,
        "scope": " ".join(scopes),
    }
    headers = {"kid": key.kid, "typ": ACCESS_TOKEN_TYPE}
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers=headers)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(REFRESH_TOKEN_BYTES)


def hash_refresh_token(token: str) -> str:
    """SHA-256 is enough here: the token is 256 random bits, not a password to guess."""
    return hashlib.sha256(token.encode()).hexdigest()
