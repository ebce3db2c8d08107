"""The analytics service's ASGI app: ``uvicorn chiiki_analytics.main:app``."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.deps import STATS_CLIENT
from chiiki_analytics.router import ROUTERS
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.app import create_service_app
from chiiki_shared.runtime import Runtime


def create_app(
    settings: AnalyticsSettings | None = None,
    *,
    stats_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The app; ``stats_transport`` lets tests serve stats in-process instead of over TCP."""
    settings = settings or AnalyticsSettings()

    async def open_stats(runtime: Runtime) -> None:
        runtime.extras[STATS_CLIENT] = StatsClient.connect(
            settings.stats_internal_url,
            timeout=settings.stats_timeout_seconds,
            transport=stats_transport,
        )

    async def close_stats(runtime: Runtime) -> None:
        client = runtime.extras.pop(STATS_CLIENT, None)
        if isinstance(client, StatsClient):
            await client.aclose()

    return create_service_app(
        settings,
        title="Chiiki analytics",
        description=(
            "Forecasts with measured accuracy, trends, anomalies and policy-effect analysis."
        ),
        routers=ROUTERS,
        on_startup=[open_stats],
        on_shutdown=[close_stats],
    )


app = create_app()
