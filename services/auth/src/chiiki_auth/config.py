"""Settings of the auth service: variables prefixed ``AUTH_``, plus the shared ones."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import ClassVar, Self

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from chiiki_shared.security import SCOPES
from chiiki_shared.settings import ServiceSettings

# OWASP's minimum for argon2id: 19 MiB of memory, 2 iterations, 1 lane.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2
# ASVS 5.0 (V6.3.1) allows at most 100 failed attempts per hour on one account.
ASVS_MAX_FAILURES_PER_HOUR = 100


# A client secret given from outside (AUTH_BOOTSTRAP_CLIENTS) must be as hard to guess as one we
# generate (32 random bytes, 43 characters of base64url): at least 32 characters.
MIN_CLIENT_SECRET_LENGTH = 32


class BootstrapClient(BaseModel):
    """A service account created at start-up when no client has its id (AUTH_BOOTSTRAP_CLIENTS)."""

    id: uuid.UUID
    name: str = Field(min_length=1, max_length=100)
    secret: SecretStr = Field(min_length=MIN_CLIENT_SECRET_LENGTH, max_length=256)
    scopes: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_scopes(self) -> Self:
        unknown = sorted(set(self.scopes) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {list(SCOPES)}")
        return self


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = "auth"
    audited: ClassVar[bool] = True

    # Tokens. Access tokens are short-lived on purpose: 15 minutes is the ceiling.
    access_token_ttl_seconds: int = Field(default=900, ge=30, le=900)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=60, le=90 * 86_400)
    refresh_token_idle_seconds: int = Field(default=7 * 86_400, ge=60)
    # Ended sessions (revoked, expired or idle) and their refresh tokens are kept this many days
    # for forensics, then purged by auth.purge_sessions (hourly, from the platform's beat).
    session_retention_days: int = Field(default=30, ge=1, le=365)

    # Signing keys: a JSON list of {"kid", "private_key" (PEM), "activated_at" (ISO 8601)}, or a
    # directory of <kid>.pem files (activated at their modification time). In development with
    # neither, a key is generated once into <RUN_DIR>/auth-keys; elsewhere the service refuses
    # to start without a key (see keys.py).
    signing_keys: SecretStr | None = None
    keys_dir: Path | None = None
    run_dir: Path = Field(default=Path(".run"), alias="RUN_DIR")

    # Passwords: argon2id, at or above OWASP's parameters.
    argon2_memory_kib: int = Field(default=ARGON2_MIN_MEMORY_KIB, ge=ARGON2_MIN_MEMORY_KIB)
    argon2_time_cost: int = Field(default=ARGON2_MIN_TIME_COST, ge=ARGON2_MIN_TIME_COST)
    argon2_parallelism: int = Field(default=1, ge=1, le=8)
    # Threads that hash passwords: one per core unless set (passwords.py says why).
    hash_threads: int | None = Field(default=None, ge=1, le=64)

    # Throttling (Redis, sliding windows). Failures per account stay within ASVS's bound.
    login_account_max_failures: int = Field(default=10, ge=1)
    login_account_window_seconds: int = Field(default=3600, ge=1)
    login_ip_max_failures: int = Field(default=50, ge=1)
    login_ip_window_seconds: int = Field(default=900, ge=1)
    register_ip_max: int = Field(default=20, ge=1)
    register_ip_window_seconds: int = Field(default=3600, ge=1)

    # How often the auth service checks that Redis still holds the revocation list (its marker)
    # and rebuilds it from the database when Redis came back empty (see revocations.py).
    revocation_watch_seconds: float = Field(default=1.0, gt=0, le=60)

    # Service accounts (client-credentials grant): token lifetime, and failed client
    # authentications allowed per client id.
    client_token_ttl_seconds: int = Field(default=600, ge=30, le=900)
    client_max_failures: int = Field(default=20, ge=1)
    client_window_seconds: int = Field(default=900, ge=1)
    bootstrap_clients: list[BootstrapClient] = Field(default_factory=list)

    # Saved dashboard settings: one JSON document per user.
    settings_max_bytes: int = Field(default=64 * 1024, ge=256, le=512 * 1024)

    # The first admin, created at start-up when no account has this email (unprefixed names).
    bootstrap_admin_email: str | None = Field(default=None, alias="BOOTSTRAP_ADMIN_EMAIL")
    bootstrap_admin_password: SecretStr | None = Field(
        default=None, alias="BOOTSTRAP_ADMIN_PASSWORD"
    )

    @property
    def dev_keys_dir(self) -> Path:
        return self.run_dir / "auth-keys"

    @property
    def revocation_ttl_seconds(self) -> int:
        """How long a revocation must be remembered: as long as an access token can live."""
        longest = max(self.access_token_ttl_seconds, self.client_token_ttl_seconds)
        return longest + self.jwt_leeway_seconds + 5

    @model_validator(mode="after")
    def _check_auth_settings(self) -> Self:
        hourly = self.login_account_max_failures * 3600 / self.login_account_window_seconds
        if hourly > ASVS_MAX_FAILURES_PER_HOUR:
            raise ValueError(
                "AUTH_LOGIN_ACCOUNT_MAX_FAILURES / AUTH_LOGIN_ACCOUNT_WINDOW_SECONDS allow more "
                f"than {ASVS_MAX_FAILURES_PER_HOUR} failed logins per hour on one account"
            )
        if self.refresh_token_idle_seconds > self.refresh_token_ttl_seconds:
            raise ValueError(
                "AUTH_REFRESH_TOKEN_IDLE_SECONDS exceeds AUTH_REFRESH_TOKEN_TTL_SECONDS"
            )
        if (self.bootstrap_admin_email is None) != (self.bootstrap_admin_password is None):
            raise ValueError("BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD go together")
        return self
