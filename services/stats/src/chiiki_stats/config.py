"""Settings of the stats service: variables prefixed ``STATS_``, plus the shared ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from chiiki_shared.settings import ServiceSettings


class StatsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="STATS_", extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = "stats"
