"""The stats service's ASGI app: ``uvicorn chiiki_stats.main:app``."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from chiiki_shared.app import create_service_app
from chiiki_shared.db import session_scope
from chiiki_shared.gc_tuning import freeze_startup_objects
from chiiki_shared.head import answer_head
from chiiki_shared.health import DEFAULT_CHECKS
from chiiki_shared.hit_path import CachedHits
from chiiki_shared.runtime import Runtime
from chiiki_stats.config import StatsSettings
from chiiki_stats.deps import GZIP_MINIMUM_SIZE, settings_of, versions_of
from chiiki_stats.prime import PRIMER_EXTRA, Primer, check_primed
from chiiki_stats.reference import load_reference
from chiiki_stats.router import router
from chiiki_stats.schemas import install_answer_schemas
from chiiki_stats.versions import VERSIONS_EXTRA, DatasetVersions
from chiiki_stats.warm import WARMER_EXTRA, Warmer

# Answers not made by ``cached_response`` (which gzips an answer once, when it is stored) nor by
# the boundaries' route (which keeps its gzipped body): the OpenAPI document. Every other /api/
# path is one of those or a small error.
COMPRESSED_HERE = ("/api/stats/openapi.json",)


class GzipUncached:
    """GZipMiddleware only for what is not gzipped already: a cached read skips its responder
    (about 0.14 ms per request, docs/performance-stats.md)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=GZIP_MINIMUM_SIZE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/api/") and not path.startswith(COMPRESSED_HERE):
            await self.app(scope, receive, send)
        else:
            await self.gzip(scope, receive, send)


async def keep_dataset_versions(runtime: Runtime) -> None:
    """Load every dataset's version into memory and follow the versions applied from now on."""
    settings = settings_of(runtime)
    versions = DatasetVersions.for_sessions(
        runtime.sessions,
        settings.service_database_url,
        refresh_seconds=settings.versions_refresh_seconds,
    )
    await versions.start()
    runtime.extras[VERSIONS_EXTRA] = versions
    if settings.warm_on_apply:
        warmer = Warmer(runtime, versions, settings.warm_budget_seconds)
        versions.on_change(warmer.changed)
        warmer.start()
        warmer.changed(versions.states)  # Redis may not hold the current versions' answers
        runtime.extras[WARMER_EXTRA] = warmer
    if settings.prime_memory:
        primer = Primer(runtime, versions, settings.prime_budget_seconds)
        versions.on_change(primer.changed)
        primer.start()
        runtime.extras[PRIMER_EXTRA] = primer


async def stop_following_versions(runtime: Runtime) -> None:
    primer = runtime.extras.get(PRIMER_EXTRA)
    if isinstance(primer, Primer):
        await primer.stop()
    warmer = runtime.extras.get(WARMER_EXTRA)
    if isinstance(warmer, Warmer):
        await warmer.stop()
    versions = runtime.extras.get(VERSIONS_EXTRA)
    if isinstance(versions, DatasetVersions):
        await versions.stop()


async def load_reference_data(runtime: Runtime) -> None:
    """Bring the regions and the indicator catalog up to the package's, and keep them in memory."""
    async with session_scope(runtime.sessions) as session:
        runtime.extras["reference"] = await load_reference(session)


async def freeze_loaded_objects(_runtime: Runtime) -> None:
    """The reference data and boundaries out of the collector's passes: a municipal
    cross-section's hundred thousand cells set off several, each of which walked them all (about
    half of that request's CPU)."""
    freeze_startup_objects()


def versions_held(runtime: Runtime) -> object:
    """What a cached answer's key depends on besides its URL: the map, replaced when a version
    changes (the reference data and the representation are fixed for the process)."""
    return versions_of(runtime).states


def create_app(settings: StatsSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or StatsSettings(),
        title="Chiiki statistics",
        description=(
            "Regions, indicators and observations: population, livability, comparison, KPI "
            "and summary statistics, as JSON, CSV, Chart.js and GeoJSON."
        ),
        routers=[router],
        on_startup=[load_reference_data, freeze_loaded_objects, keep_dataset_versions],
        on_shutdown=[stop_following_versions],
        readiness_checks={**DEFAULT_CHECKS, "primed": check_primed},
        inner_middleware=[
            Middleware(CachedHits, generation=versions_held, gzip_minimum_size=GZIP_MINIMUM_SIZE)
        ],
    )
    install_answer_schemas(app)
    app.add_middleware(GzipUncached)
    answer_head(app)
    return app


app = create_app()
