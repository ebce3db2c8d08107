"""Settings of the stats service: variables prefixed ``STATS_``, plus the shared ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from chiiki_shared.settings import ServiceSettings


class StatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STATS_", extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = "stats"

    # Query results stay in Redis this long; a new dataset version changes the keys, so the TTL
    # only bounds memory, never staleness.
    cache_ttl_seconds: int = Field(default=3600, ge=1)
    # After a Redis error, queries skip Redis this long instead of waiting on it every time.
    cache_retry_after_seconds: float = Field(default=5.0, ge=0)
    # Sent with every data response: clients keep the body and revalidate it with If-None-Match
    # each time (no-cache), so a new version shows at once. Default: "public, no-cache" when
    # anonymous reads are open, else "private, no-cache" (shared caches must not serve answers
    # given to a token).
    cache_control: str | None = None

    # Applying a version rewrites every observation of a dataset in one transaction.
    apply_statement_timeout_ms: int = Field(default=600_000, ge=1000)
    # publish_version waits for batches still on their way: after 2, 4, 8... seconds (at most 60
    # between tries), this many times (about 25 minutes in all), then rejects the run.
    publish_max_retries: int = Field(default=30, ge=0)
    publish_retry_seconds: float = Field(default=2.0, ge=0)
    publish_retry_max_seconds: float = Field(default=60.0, ge=0)
    # Batches of runs that were never published are removed after this long.
    staging_ttl_hours: int = Field(default=48, ge=1)

    @property
    def response_cache_control(self) -> str:
        if self.cache_control:
            return self.cache_control
        return "public, no-cache" if self.anonymous_read else "private, no-cache"
