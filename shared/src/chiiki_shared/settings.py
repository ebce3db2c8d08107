"""Settings every service shares, read from the environment with pydantic-settings.

Fields with an explicit ``alias`` are platform-wide and read unprefixed (``DATABASE_URL``,
``REDIS_URL``...), so one environment configures the whole stack. Fields without one take the
service's prefix (``AUTH_DB_PASSWORD``, ``STATS_CACHE_TTL_SECONDS``...).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

from chiiki_shared.client_address import DEFAULT_TRUSTED_PROXIES, parse_trusted_proxies

PLACEHOLDER_SECRET = "dev-only-change-me"  # noqa: S105 - a placeholder, refused outside development


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ServiceSettings(BaseSettings):
    """Settings common to every service; each service subclasses it with its name and prefix."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = "service"
    # Services with admin actions keep an append-only audit log (see chiiki_shared.audit).
    audited: ClassVar[bool] = False

    environment: Environment = Field(default=Environment.DEVELOPMENT, alias="ENVIRONMENT")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: str = Field(default="json", alias="LOG_FORMAT", pattern="^(json|console)$")
    database_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/chiiki", alias="DATABASE_URL"
    )
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", alias="REDIS_URL")
    redis_key_prefix: str = Field(default="chiiki:", alias="REDIS_KEY_PREFIX")
    db_statement_timeout_ms: int = Field(default=15_000, alias="DB_STATEMENT_TIMEOUT_MS", ge=100)

    # The access-token contract every service checks (see chiiki_shared.security).
    jwt_issuer: str = Field(default="chiiki-auth", alias="JWT_ISSUER", min_length=1)
    jwt_audience: str = Field(default="chiiki-api", alias="JWT_AUDIENCE", min_length=1)
    jwt_leeway_seconds: int = Field(default=10, alias="JWT_LEEWAY_SECONDS", ge=0, le=60)
    auth_internal_url: str = Field(default="http://127.0.0.1:8101", alias="AUTH_INTERNAL_URL")
    # Opens the statistics read endpoints (GETs of stats and analytics) to anonymous callers.
    anonymous_read: bool = Field(default=False, alias="ANONYMOUS_READ")
    # Peers whose X-Forwarded-For is believed (the gateway), as addresses or networks separated
    # by commas; also uvicorn's --forwarded-allow-ips. Anyone else is the client itself.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: list(DEFAULT_TRUSTED_PROXIES), alias="TRUSTED_PROXIES"
    )

    # The bearer token Prometheus scrapes /metrics with. Unset: /metrics is open in development
    # (services listen on 127.0.0.1 there) and answers 404 elsewhere.
    metrics_token: SecretStr | None = Field(default=None, alias="METRICS_TOKEN")

    # Prefixed: <SERVICE>_DSN, <SERVICE>_DB_PASSWORD, <SERVICE>_DB_POOL_SIZE.
    dsn: str | None = None
    db_password: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    db_pool_size: int = Field(default=5, ge=1, le=100)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _parse_trusted_proxies(cls, value: object) -> list[str]:
        return parse_trusted_proxies(value)  # type: ignore[arg-type]

    @property
    def metrics_open(self) -> bool:
        """Whether /metrics answers without a token (development, no METRICS_TOKEN)."""
        return self.metrics_token is None and self.environment is Environment.DEVELOPMENT

    @property
    def db_schema(self) -> str:
        """The Postgres schema this service owns."""
        return self.service_name

    @property
    def db_role(self) -> str:
        """The database role this service connects as; it can reach only its own schema."""
        return f"chiiki_{self.service_name}"

    @property
    def service_database_url(self) -> URL:
        """``<SERVICE>_DSN`` when given, else ``DATABASE_URL`` with this service's role."""
        if self.dsn:
            return make_url(to_async_url(self.dsn))
        url = make_url(to_async_url(self.database_url))
        return url.set(username=self.db_role, password=self.db_password.get_secret_value())

    def secrets(self) -> dict[str, SecretStr]:
        """Secrets that must not keep a development placeholder outside development."""
        return {"DB_PASSWORD": self.db_password}

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Self:
        if self.environment is Environment.DEVELOPMENT:
            return self
        weak = sorted(
            name
            for name, value in self.secrets().items()
            if value.get_secret_value() in ("", PLACEHOLDER_SECRET)
        )
        if weak:
            prefix = self.model_config.get("env_prefix", "")
            names = ", ".join(f"{prefix}{name}" for name in weak)
            raise ValueError(
                f"{names} must be set to a real secret when ENVIRONMENT={self.environment.value}"
            )
        return self


def to_async_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs everywhere; the services use the asyncpg driver."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def to_sync_url(url: str | URL) -> str:
    """The same database through psycopg, for administrative work outside an event loop."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
