"""The stats service's ASGI app: ``uvicorn chiiki_stats.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from chiiki_shared.app import create_service_app
from chiiki_stats.config import StatsSettings
from chiiki_stats.router import router


def create_app(settings: StatsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or StatsSettings(),
        title="Chiiki statistics",
        description=(
            "Regions, indicators and observations: population, livability, comparison, KPI "
            "and summary statistics, as JSON, CSV, Chart.js and GeoJSON."
        ),
        routers=[router],
    )


app = create_app()
