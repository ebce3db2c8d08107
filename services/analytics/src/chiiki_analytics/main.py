"""The analytics service's ASGI app: ``uvicorn chiiki_analytics.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.router import router
from chiiki_shared.app import create_service_app


def create_app(settings: AnalyticsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or AnalyticsSettings(),
        title="Chiiki analytics",
        description=(
            "Forecasts with measured accuracy, trends, anomalies and policy-effect analysis."
        ),
        routers=[router],
    )


app = create_app()
