"""The ingest service's ASGI app: ``uvicorn chiiki_ingest.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from chiiki_ingest.config import IngestSettings
from chiiki_ingest.router import router
from chiiki_shared.app import create_service_app


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or IngestSettings(),
        title="Chiiki ingestion",
        description=("e-Stat ingestion: catalog, runs, quality reports and the schedule."),
        routers=[router],
    )


app = create_app()
