"""Settings of the ingest service: variables prefixed ``INGEST_``, plus the shared ones.

``ESTAT_API_BASE_URL`` and ``ESTAT_APP_ID`` are read unprefixed (they name e-Stat, not us). The
application id is a secret: it is held as ``SecretStr``, never logged and never put into a stored
URL. Outside development a placeholder id is refused when the worker starts, unless the base URL
is a replay server on this machine (see ``estat_app_id_problem``); loading the settings alone, as
migrations do, does not need an e-Stat id.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from chiiki_shared.contracts import MAX_COLUMNAR_BATCH_CELLS
from chiiki_shared.settings import PLACEHOLDER_SECRET, Environment, ServiceSettings

DEFAULT_ESTAT_BASE_URL = "https://api.e-stat.go.jp/rest/3.0/app/json"
DEFAULT_CATALOG = Path(__file__).with_name("catalog.yaml")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class IngestSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = "ingest"
    audited: ClassVar[bool] = True

    estat_api_base_url: str = Field(default=DEFAULT_ESTAT_BASE_URL, alias="ESTAT_API_BASE_URL")
    estat_app_id: SecretStr = Field(default=SecretStr(PLACEHOLDER_SECRET), alias="ESTAT_APP_ID")
    estat_timeout_seconds: float = Field(default=60.0, gt=0)
    estat_max_attempts: int = Field(default=5, ge=1, le=20)
    estat_max_retry_seconds: float = Field(default=300.0, ge=0)
    # At most this many e-Stat requests in flight across every worker and API process (a Redis
    # semaphore, see estat_guard.py); a slot's lease, renewed while held, frees the slot of a
    # killed process; a request waits at most estat_slot_wait_seconds for a slot, then the
    # attempt counts as a transient failure and is retried.
    estat_max_concurrent_requests: int = Field(
        default=4, ge=1, le=100, alias="ESTAT_MAX_CONCURRENT_REQUESTS"
    )
    estat_slot_lease_seconds: float = Field(default=30.0, gt=0)
    estat_slot_wait_seconds: float = Field(default=60.0, gt=0)

    catalog_path: Path = DEFAULT_CATALOG
    # The cron expression (minute hour day month weekday, Asia/Tokyo) of the `daily` schedule.
    schedule_daily: str = "0 3 * * *"
    schedule_enabled: bool = True
    # A due tick with no record this long after its time counts as missed and raises an alert.
    schedule_missed_after_seconds: float = Field(default=900.0, gt=0)
    # How often the API's watchdog looks for missed ticks.
    schedule_watch_seconds: float = Field(default=60.0, gt=0)
    # How often beat sends ``ingest.recover_runs``, the sweep that resumes runs whose lease ran out.
    recovery_interval_seconds: float = Field(default=10.0, gt=0)

    page_size: int = Field(default=100_000, ge=1, le=100_000)
    # Ask for the next page as soon as one is stored, so it travels while that one is normalised
    # (one raw body ahead at most, see estat/readahead.py).
    read_ahead: bool = True
    # Cells per stats.apply_batch; version 2 (which ingest sends) allows 50,000, version 1 5,000:
    # ten times fewer tasks, staged rows and progress updates per run.
    batch_size: int = Field(default=MAX_COLUMNAR_BATCH_CELLS, ge=1, le=MAX_COLUMNAR_BATCH_CELLS)
    # Raw pages are stored gzip-compressed; a page larger than this fails the run.
    raw_page_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    # Raw pages kept per dataset besides those of its current version and of unfinished runs.
    raw_pages_keep_runs: int = Field(default=2, ge=0)
    # Applied versions per dataset whose raw pages are kept, so a rollback can publish them again.
    retention_versions: int = Field(default=5, ge=1)

    # A running run holds a lease its worker renews every heartbeat; once it has run out (and the
    # dataset's lock is free: the worker is gone, see locks.py) the sweep resumes the run.
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    stale_run_seconds: float = Field(default=20.0, gt=0)
    queued_timeout_seconds: float = Field(default=900.0, gt=0)
    apply_timeout_seconds: float = Field(default=3600.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)

    jump_z_threshold: float = Field(default=6.0, gt=0)
    jump_min_deviation: float = Field(default=0.2, gt=0)
    jump_min_history: int = Field(default=4, ge=2)

    # Webhook URLs usually embed a token, so the URL is kept as a secret and never logged.
    alert_webhook_url: SecretStr | None = None
    alert_timeout_seconds: float = Field(default=5.0, gt=0)

    metrics_refresh_seconds: float = Field(default=15.0, gt=0)

    @model_validator(mode="after")
    def _lease_outlasts_heartbeats(self) -> IngestSettings:
        if self.stale_run_seconds <= 2 * self.heartbeat_seconds:
            raise ValueError(
                "INGEST_STALE_RUN_SECONDS must be more than twice INGEST_HEARTBEAT_SECONDS, so "
                "one late heartbeat does not end a live worker's lease"
            )
        return self

    @field_validator("alert_webhook_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def estat_source_is_local(self) -> bool:
        return urlsplit(self.estat_api_base_url).hostname in LOCAL_HOSTS

    def estat_app_id_problem(self) -> str | None:
        """Why the configured application id must not be used, or ``None`` when it may."""
        value = self.estat_app_id.get_secret_value()
        if not value:
            return "ESTAT_APP_ID is empty"
        if self.environment is Environment.DEVELOPMENT or self.estat_source_is_local:
            return None
        if value == PLACEHOLDER_SECRET:
            return (
                f"ESTAT_APP_ID must be set to a real e-Stat application id when "
                f"ENVIRONMENT={self.environment.value} (or ESTAT_API_BASE_URL must point at a "
                "replay server on this machine)"
            )
        return None
