"""The FastAPI app factory every service uses, so all four behave alike at the edges.

Each service gets: JSON logs with request ids, the common error format, ``/healthz``, ``/readyz``,
``/metrics``, its OpenAPI document and Swagger UI under ``/api/<service>/`` so they are
reachable through the gateway unchanged, the checks of client input at the edge
(``chiiki_shared.edge``) and every route's errors declared as ``Problem`` documents.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from starlette.middleware import Middleware

from chiiki_shared.docs import docs_router
from chiiki_shared.edge import InputGuard, single_valued_query
from chiiki_shared.errors import install_error_handlers, name_http_dependency
from chiiki_shared.health import Check, health_router
from chiiki_shared.known_query import known_query_only
from chiiki_shared.logging import configure_logging
from chiiki_shared.observability import install_observability
from chiiki_shared.openapi import install_problem_schema
from chiiki_shared.runtime import Runtime
from chiiki_shared.settings import ServiceSettings

Hook = Callable[[Runtime], Awaitable[None]]


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter] = (),
    on_startup: Sequence[Hook] = (),
    on_shutdown: Sequence[Hook] = (),
    readiness_checks: dict[str, Check] | None = None,
    version: str = "0.1.0",
    reject_unknown_query: bool = False,
    inner_middleware: Sequence[Middleware] = (),
) -> FastAPI:
    """The service's app; ``reject_unknown_query`` answers 422 to query parameters no route
    parameter names (``chiiki_shared.known_query``); ``inner_middleware`` runs inside the input
    checks, the access log and the request id, outermost first."""
    service = settings.service_name
    configure_logging(service, level=settings.log_level, fmt=settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.open(settings)
        app.state.runtime = runtime
        try:
            for hook in on_startup:
                await hook(runtime)
            yield
        finally:
            for hook in on_shutdown:
                await hook(runtime)
            await runtime.close()

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=lifespan,
        openapi_url=f"/api/{service}/openapi.json",
        # Served by docs_router instead: from our own files, with a Content-Security-Policy.
        docs_url=None,
        redoc_url=None,
        dependencies=[
            Depends(single_valued_query),
            *([Depends(known_query_only)] if reject_unknown_query else []),
        ],
    )
    install_error_handlers(app)
    name_http_dependency(settings.auth_internal_url, "auth")
    for middleware in reversed(inner_middleware):
        app.add_middleware(middleware.cls, *middleware.args, **middleware.kwargs)
    # Added before the observability middleware so it runs inside it: refusals are logged,
    # counted and carry the request id.
    app.add_middleware(InputGuard)
    app.include_router(docs_router(app, service))
    install_observability(
        app, service, metrics_token=settings.metrics_token, metrics_open=settings.metrics_open
    )
    install_problem_schema(app)
    app.include_router(health_router(readiness_checks))
    for router in routers:
        app.include_router(router)
    return app
