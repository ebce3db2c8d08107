"""Settings of the analytics service: variables prefixed ``ANALYTICS_``, plus the shared ones."""

from __future__ import annotations

import os
from typing import Annotated, ClassVar, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from chiiki_shared.cache import CachedServiceSettings
from chiiki_shared.settings import Environment


def _default_stats_url() -> str:
    """Where the stack runs stats (``SERVICE_HOST``:``STATS_PORT``), the same for every process."""
    host = os.environ.get("SERVICE_HOST", "127.0.0.1")
    return f"http://{host}:{os.environ.get('STATS_PORT', '8102')}"


class AnalyticsSettings(CachedServiceSettings):
    """``ANALYTICS_CACHE_*`` (the forecast answers' cache) come from ``CachedServiceSettings``."""

    model_config = SettingsConfigDict(
        env_prefix="ANALYTICS_", extra="ignore", populate_by_name=True
    )

    service_name: ClassVar[str] = "analytics"

    # The stats service's own address (not the gateway): every number analytics uses comes
    # from its HTTP API.
    stats_internal_url: str = Field(default_factory=_default_stats_url, alias="STATS_INTERNAL_URL")
    stats_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Periods ahead that the worker precomputes for every prefecture (the map's range).
    precompute_horizon: int = Field(default=10, ge=1, le=10)
    # Indicators whose stored forecasts are computed as soon as their data change; any other
    # is computed on its first map read, then kept up to date the same way.
    precompute_indicators: list[str] = Field(
        default_factory=lambda: ["population.total", "population.aged_65_plus_share"]
    )
    # Horizons of GET /api/forecasts whose answers the worker stores for every prefecture of
    # the precomputed indicators (the route's default horizon); others are fitted on demand.
    stored_horizons: list[Annotated[int, Field(ge=1, le=10)]] = Field(default_factory=lambda: [5])
    # A job still "running" after this long is taken to be lost (its worker died) and may run
    # again when its task is delivered again.
    job_stale_seconds: int = Field(default=900, ge=60)
    # The worker's own service account (client-credentials grant, see service_auth.py): its id and
    # secret come from the auth service's clients, never from a user's credentials. Required in
    # production; without them elsewhere the worker reads stats anonymously.
    client_id: str | None = None
    client_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _client_in_production(self) -> Self:
        if (self.client_id is None) != (self.client_secret is None):
            raise ValueError("ANALYTICS_CLIENT_ID and ANALYTICS_CLIENT_SECRET go together")
        if self.environment is Environment.PRODUCTION and self.client_id is None:
            raise ValueError(
                "ANALYTICS_CLIENT_ID and ANALYTICS_CLIENT_SECRET must be set when "
                "ENVIRONMENT=production (the worker's service account)"
            )
        return self
