"""Settings of the stats service: variables prefixed ``STATS_``, plus the shared ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from chiiki_shared.cache import CachedServiceSettings


class StatsSettings(CachedServiceSettings):
    """``STATS_CACHE_*`` (the query cache) come from ``CachedServiceSettings``."""

    model_config = SettingsConfigDict(env_prefix="STATS_", extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = "stats"

    # Applying a version rewrites every observation of a dataset in one transaction.
    apply_statement_timeout_ms: int = Field(default=600_000, ge=1000)
    # publish_version waits for batches still on their way: after 2, 4, 8... seconds (at most 60
    # between tries), this many times (about 25 minutes in all), then rejects the run.
    publish_max_retries: int = Field(default=30, ge=0)
    publish_retry_seconds: float = Field(default=2.0, ge=0)
    publish_retry_max_seconds: float = Field(default=60.0, ge=0)
    # Each web process keeps the dataset versions in memory, reloaded when a version is applied
    # (NOTIFY) and at least this often, in case a notification was missed.
    versions_refresh_seconds: float = Field(default=2.0, gt=0)
    # When a version is applied, the process that hears of it first renders what every
    # dashboard asks for first into the query cache (``warm``), for at most this long.
    warm_on_apply: bool = True
    warm_budget_seconds: float = Field(default=60.0, gt=0)
    # Each web process fills its own memory (published cells, latest years, municipal
    # cross-sections and rankings) at start-up and when the versions change (``prime``), for at
    # most this long. Off by default: on the recorded data a primed worker is about 130 MB, over
    # the 120 MB idle budget (docs/performance.md, branches warm15 and columns15).
    prime_memory: bool = False
    prime_budget_seconds: float = Field(default=30.0, gt=0)
    # Batches of runs that were never published are removed after this long.
    staging_ttl_hours: int = Field(default=48, ge=1)
