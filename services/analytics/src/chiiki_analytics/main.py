"""The analytics service's ASGI app: ``uvicorn chiiki_analytics.main:app``."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.deps import STATS_CLIENT
from chiiki_analytics.router import ROUTERS
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.app import create_service_app
from chiiki_shared.head import answer_head
from chiiki_shared.runtime import Runtime
from chiiki_shared.security import warm_token_guard


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

    app = create_service_app(
        settings,
        title="Chiiki analytics",
        description=(
            "Forecasts with measured accuracy, trends, anomalies and policy-effect analysis."
        ),
        routers=ROUTERS,
        # The bus is not warmed here: its app is made, and Celery imported, on the first send
        # (messaging.celery_app), so an idle process does not hold Celery (docs/performance.md).
        on_startup=[open_stats, warm_token_guard],
        on_shutdown=[close_stats],
        reject_unknown_query=True,
    )
    # Anomalies and the map's forecasts list 47 prefectures: compressed like stats' answers.
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    answer_head(app)
    return app


app = create_app()
