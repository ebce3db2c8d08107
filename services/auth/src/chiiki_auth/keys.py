"""The auth service's signing keys: which one signs, and which ones the JWKS publishes.

A key is a ``kid``, an ES256 (P-256) private key and the moment it becomes active. The newest key
already active signs new access tokens. A key whose activation lies in the future is published but
not used yet, so verifiers can cache it before the first token names it. An older key stays
published until its successor has signed for longer than an access token lives: by then no valid
token names it any more.

Keys come from ``AUTH_SIGNING_KEYS`` (JSON) or ``AUTH_KEYS_DIR`` (``<kid>.pem`` files, active from
their modification time). In development with neither, one key is generated into
``<RUN_DIR>/auth-keys``: it stays out of the database and its backups, it is read the way
production reads a mounted secret directory, and ``make clean`` forgets it with the rest of the
run folder. Outside development, no key means the service refuses to start.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from chiiki_auth.config import AuthSettings
from chiiki_shared.security import ALGORITHM
from chiiki_shared.settings import Environment

KID_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,64}")

logger = structlog.get_logger(__name__)


class KeyConfigurationError(RuntimeError):
    """The configured keys are missing or unusable: the service must not start."""


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: ec.EllipticCurvePrivateKey
    activated_at: datetime

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {**jwk, "kid": self.kid, "use": "sig", "alg": ALGORITHM}


class KeyRing:
    """Every configured key, ordered by activation; also the auth service's own ``KeySource``."""

    def __init__(self, keys: Sequence[SigningKey], token_lifetime: timedelta) -> None:
        if not keys:
            raise KeyConfigurationError("no signing key is configured")
        kids = [key.kid for key in keys]
        if len(set(kids)) != len(kids):
            raise KeyConfigurationError("two signing keys share a kid")
        self.keys = sorted(keys, key=lambda key: key.activated_at)
        # Tokens live their lifetime plus the verifiers' clock leeway.
        self.token_lifetime = token_lifetime

    def signing_key(self, now: datetime) -> SigningKey:
        active = [key for key in self.keys if key.activated_at <= now]
        return active[-1] if active else self.keys[0]

    def published(self, now: datetime) -> list[SigningKey]:
        """The current key, keys not active yet, and retired keys whose tokens may still live."""
        current = self.signing_key(now)
        successors = [*self.keys[1:], None]
        return [
            key
            for key, successor in zip(self.keys, successors, strict=True)
            if key is current
            or key.activated_at > now
            or (successor is not None and now < successor.activated_at + self.token_lifetime)
        ]

    def jwks(self, now: datetime) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.published(now)]}

    async def get(self, kid: str) -> Any | None:
        now = datetime.now(UTC)
        for key in self.published(now):
            if key.kid == kid:
                return key.private_key.public_key()
        return None


def load_key_ring(settings: AuthSettings) -> KeyRing:
    keys: list[SigningKey] = []
    if settings.signing_keys is not None:
        keys.extend(_keys_from_json(settings.signing_keys.get_secret_value()))
    directory = settings.keys_dir
    if directory is None and settings.environment is Environment.DEVELOPMENT:
        directory = settings.dev_keys_dir
    if directory is not None:
        keys.extend(_keys_from_directory(directory))
        if not keys and settings.environment is Environment.DEVELOPMENT:
            generate_key_file(directory)
            keys.extend(_keys_from_directory(directory))
    if not keys:
        raise KeyConfigurationError(
            "no signing key: set AUTH_SIGNING_KEYS or AUTH_KEYS_DIR "
            f"(ENVIRONMENT={settings.environment.value} generates none)"
        )
    lifetime = timedelta(seconds=settings.access_token_ttl_seconds + settings.jwt_leeway_seconds)
    ring = KeyRing(keys, lifetime)
    logger.info(
        "signing_keys_loaded",
        current=ring.signing_key(datetime.now(UTC)).kid,
        published=[key.kid for key in ring.published(datetime.now(UTC))],
    )
    return ring


def generate_key_file(directory: Path) -> Path:
    """Write a new P-256 key as ``<kid>.pem`` (mode 0600) and return its path."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    kid = f"dev-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"
    pem = private_key_pem(ec.generate_private_key(ec.SECP256R1()))
    path = directory / f"{kid}.pem"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    logger.info("signing_key_generated", kid=kid, directory=str(directory))
    return path


def private_key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_private_key(kid: str, pem: bytes) -> ec.EllipticCurvePrivateKey:
    if not KID_PATTERN.fullmatch(kid):
        raise KeyConfigurationError(f"kid {kid!r} must match {KID_PATTERN.pattern}")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyConfigurationError(f"key {kid!r} is not a PEM private key") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyConfigurationError(f"key {kid!r} is not a P-256 (ES256) key")
    return key


def _keys_from_json(text: str) -> list[SigningKey]:
    try:
        entries = json.loads(text)
    except ValueError as exc:
        raise KeyConfigurationError("AUTH_SIGNING_KEYS is not JSON") from exc
    if not isinstance(entries, list):
        raise KeyConfigurationError("AUTH_SIGNING_KEYS must be a JSON list")
    keys = []
    for entry in entries:
        if not isinstance(entry, dict) or not {"kid", "private_key"} <= entry.keys():
            raise KeyConfigurationError("each AUTH_SIGNING_KEYS entry needs kid and private_key")
        activated = entry.get("activated_at", "1970-01-01T00:00:00Z")
        try:
            activated_at = datetime.fromisoformat(activated)
        except (TypeError, ValueError) as exc:
            raise KeyConfigurationError(f"key {entry['kid']!r}: bad activated_at") from exc
        if activated_at.tzinfo is None:
            raise KeyConfigurationError(f"key {entry['kid']!r}: activated_at needs a time zone")
        key = _load_private_key(str(entry["kid"]), str(entry["private_key"]).encode())
        keys.append(SigningKey(str(entry["kid"]), key, activated_at))
    return keys


def _keys_from_directory(directory: Path) -> list[SigningKey]:
    if not directory.is_dir():
        return []
    keys = []
    for path in sorted(directory.glob("*.pem")):
        activated_at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        keys.append(
            SigningKey(path.stem, _load_private_key(path.stem, path.read_bytes()), activated_at)
        )
    return keys
