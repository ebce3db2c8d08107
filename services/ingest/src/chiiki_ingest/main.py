"""The ingest service's ASGI app: ``uvicorn chiiki_ingest.main:app``."""

from __future__ import annotations

import structlog
from fastapi import FastAPI

from chiiki_ingest import catalog, metrics, watchdog
from chiiki_ingest.audit import AUDIT_LOG
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.messaging import CeleryBus, with_task_events
from chiiki_ingest.router import router
from chiiki_shared.app import create_service_app
from chiiki_shared.audit.api import audit_router
from chiiki_shared.bus import LazyCelery, create_celery_app
from chiiki_shared.db import session_scope
from chiiki_shared.head import answer_head
from chiiki_shared.runtime import Runtime

logger = structlog.get_logger("chiiki_ingest")


async def open_bus(runtime: Runtime) -> None:
    settings = runtime.settings
    # Made on the first send: idle, the API process does not hold Celery (docs/performance.md).
    app = LazyCelery(lambda: with_task_events(create_celery_app(settings)))
    runtime.extras["bus"] = CeleryBus(app)


async def close_bus(runtime: Runtime) -> None:
    bus = runtime.extras.pop("bus", None)
    if isinstance(bus, CeleryBus):
        bus.close()


async def sync_catalog(runtime: Runtime) -> None:
    """Apply catalog.yaml at start-up; a database that is not there yet must not stop the API."""
    settings: IngestSettings = runtime.settings  # type: ignore[assignment]
    specs = catalog.load(settings.catalog_path)
    try:
        async with session_scope(runtime.sessions) as session:
            await catalog.sync(session, specs)
    except Exception as error:
        logger.warning("ingest.catalog_sync_failed", error=type(error).__name__)


def create_app(settings: IngestSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or IngestSettings(),
        title="Chiiki ingestion",
        description=(
            "e-Stat ingestion: catalog, runs, quality reports and the schedule. "
            "このサービスは、政府統計総合窓口(e-Stat)のAPI機能を使用していますが、"
            "サービスの内容は国によって保証されたものではありません。"
        ),
        routers=[router, audit_router(AUDIT_LOG, "/api/ingest")],
        on_startup=[open_bus, sync_catalog, metrics.start, watchdog.start],
        on_shutdown=[watchdog.stop, metrics.stop, close_bus],
        reject_unknown_query=True,
    )
    answer_head(app)
    return app


app = create_app()
