"""What ``make up`` runs and where: ports, folders and sizes, all set from the environment."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from chiiki_shared.client_address import parse_trusted_proxies

REPO_ROOT = Path(__file__).resolve().parents[4]
SERVICES = ("auth", "stats", "ingest", "analytics")
MAX_DEFAULT_WEB_WORKERS = 4
# A browser's Origin header: scheme, host and optional port, lower case, nothing else ("*" and
# paths are refused, so the gateway's exact match can never allow more than was meant).
ORIGIN = re.compile(r"https?://(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?")


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    run_dir: Path = Field(default=REPO_ROOT / ".run", alias="RUN_DIR")
    gateway_host: str = Field(default="127.0.0.1", alias="GATEWAY_HOST")
    gateway_port: int = Field(default=8080, alias="GATEWAY_PORT", ge=1, le=65535)
    gateway_workers: int = Field(default=2, alias="GATEWAY_WORKERS", ge=1, le=64)
    gateway_read_timeout: str = Field(default="30s", alias="GATEWAY_READ_TIMEOUT")
    gateway_connect_timeout: str = Field(default="2s", alias="GATEWAY_CONNECT_TIMEOUT")
    gateway_max_body_size: str = Field(default="1m", alias="GATEWAY_MAX_BODY_SIZE")
    # TLS=1: the gateway answers HTTPS on GATEWAY_TLS_PORT (HTTP/2, HSTS) and redirects its HTTP
    # port there. The certificate and key default to the development ones of `make certs`
    # (RUN_DIR/certs, made by `make up` when missing); a deployment names its own.
    tls: bool = Field(default=False, alias="TLS")
    gateway_tls_port: int = Field(default=8443, alias="GATEWAY_TLS_PORT", ge=1, le=65535)
    gateway_tls_cert: Path | None = Field(default=None, alias="GATEWAY_TLS_CERT")
    gateway_tls_key: Path | None = Field(default=None, alias="GATEWAY_TLS_KEY")
    # Load balancers in front of the gateway whose X-Forwarded-For it believes (addresses or
    # networks, comma-separated): none by default, so the client is the connection's peer.
    gateway_trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="GATEWAY_TRUSTED_PROXIES"
    )
    # The built dashboard the gateway serves at / (npm run build in frontend/).
    frontend_dist: Path = Field(default=REPO_ROOT / "frontend" / "dist", alias="FRONTEND_DIST")
    # Origins (scheme://host[:port], comma-separated) whose pages may call the API: Vite's dev
    # server in development. None by default, and then no CORS headers at all.
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, alias="CORS_ALLOWED_ORIGINS"
    )
    service_host: str = Field(default="127.0.0.1", alias="SERVICE_HOST")
    auth_port: int = Field(default=8101, alias="AUTH_PORT")
    stats_port: int = Field(default=8102, alias="STATS_PORT")
    ingest_port: int = Field(default=8103, alias="INGEST_PORT")
    analytics_port: int = Field(default=8104, alias="ANALYTICS_PORT")
    worker_concurrency: int = Field(default=2, alias="WORKER_CONCURRENCY", ge=1, le=32)
    # uvicorn processes of the stats service, the read path every dashboard hits: one per core
    # (at most 4) unless set. The other services run one each (their requests are few).
    web_concurrency: int | None = Field(default=None, alias="WEB_CONCURRENCY", ge=1, le=32)
    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    redis_url: str | None = Field(default=None, alias="REDIS_URL")
    # Where the rendered config points when nginx runs elsewhere (a container, a pod).
    gateway_dir: Path | None = Field(default=None, alias="GATEWAY_DIR")
    gateway_log_dir: Path | None = Field(default=None, alias="GATEWAY_LOG_DIR")
    njs_module: Path | None = Field(default=None, alias="NGINX_NJS_MODULE")
    auth_upstream: str | None = Field(default=None, alias="AUTH_UPSTREAM")
    stats_upstream: str | None = Field(default=None, alias="STATS_UPSTREAM")
    ingest_upstream: str | None = Field(default=None, alias="INGEST_UPSTREAM")
    analytics_upstream: str | None = Field(default=None, alias="ANALYTICS_UPSTREAM")
    force_embedded: bool = Field(default=False, alias="EMBEDDED_SERVERS")
    embedded_postgres_port: int = Field(
        default=55432, alias="EMBEDDED_POSTGRES_PORT", ge=1, le=65535
    )
    embedded_redis_port: int = Field(default=56379, alias="EMBEDDED_REDIS_PORT", ge=1, le=65535)
    # Auth at the gateway: how long a successful token check is cached, and anonymous reads.
    gateway_auth_cache: str = Field(default="5s", alias="GATEWAY_AUTH_CACHE", pattern=r"^\d+m?s$")
    anonymous_read: bool = Field(default=False, alias="ANONYMOUS_READ")
    # The gateway's cache of public reads (docs/gateway.md#the-read-cache): on or off, and the
    # disk it may use.
    gateway_read_cache: bool = Field(default=True, alias="GATEWAY_READ_CACHE")
    gateway_read_cache_max_size: str = Field(
        default="512m", alias="GATEWAY_READ_CACHE_MAX_SIZE", pattern=r"^\d+[kmg]$"
    )
    start_timeout_seconds: float = Field(default=90, alias="START_TIMEOUT_SECONDS", gt=0)
    # Without ESTAT_API_BASE_URL, the services read e-Stat from the replay server (recorded
    # tables, services/ingest/recordings), started on this port (or a free one if it is taken).
    estat_replay_port: int = Field(default=8109, alias="ESTAT_REPLAY_PORT", ge=1, le=65535)

    @field_validator("gateway_trusted_proxies", mode="before")
    @classmethod
    def _parse_trusted_proxies(cls, value: object) -> list[str]:
        return parse_trusted_proxies(value or "")  # type: ignore[arg-type]

    @field_validator("cors_allowed_origins", mode="before")
    @classmethod
    def _parse_origins(cls, value: object) -> list[str]:
        origins = [part.strip() for part in str(value or "").split(",") if part.strip()]
        for origin in origins:
            if not ORIGIN.fullmatch(origin):
                raise ValueError(f"not an origin (scheme://host[:port]): {origin!r}")
        return origins

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"

    @property
    def pid_dir(self) -> Path:
        return self.run_dir / "pids"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "gateway-url"

    @property
    def replay_port_file(self) -> Path:
        return self.run_dir / "replay-port"

    @property
    def cert_dir(self) -> Path:
        return self.run_dir / "certs"

    @property
    def gateway_url(self) -> str:
        if self.tls:
            return f"https://{self.gateway_host}:{self.gateway_tls_port}"
        return f"http://{self.gateway_host}:{self.gateway_port}"

    def web_workers(self, service: str) -> int:
        """How many uvicorn processes serve ``service``."""
        if service != "stats":
            return 1
        return self.web_concurrency or min(os.cpu_count() or 1, MAX_DEFAULT_WEB_WORKERS)

    def service_port(self, service: str) -> int:
        return int(getattr(self, f"{service}_port"))

    def upstream_address(self, service: str) -> str:
        """``host:port`` the gateway proxies ``service`` to."""
        configured = getattr(self, f"{service}_upstream")
        return configured or f"{self.service_host}:{self.service_port(service)}"

    def service_url(self, service: str) -> str:
        return f"http://{self.service_host}:{self.service_port(service)}"
