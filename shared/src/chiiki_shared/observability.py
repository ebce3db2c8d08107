"""Request ids, the access log and Prometheus metrics for every HTTP service.

The request id comes from ``X-Request-ID`` (the gateway sets it), is generated when absent or
malformed, is returned on the response and is bound to every log line the request causes.
"""

from __future__ import annotations

import hmac
import re
import time
from uuid import uuid4

import structlog
from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import SecretStr
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chiiki_shared.errors import NotFound, Unauthorized

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:\-]{8,128}")

REQUESTS = Counter(
    "http_requests_total", "HTTP requests answered", ["service", "method", "route", "status"]
)
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["service", "method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

access_logger = structlog.get_logger("chiiki.access")

# Probes and scrapes are frequent and uninteresting; they are counted but not logged.
_QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def is_valid_request_id(value: str) -> bool:
    return _REQUEST_ID_PATTERN.fullmatch(value) is not None


def new_request_id() -> str:
    return uuid4().hex


class AccessLogAndMetrics:
    """Pure ASGI middleware: one access-log line and one metrics sample per request, and an
    ``X-Served-By`` header naming the service, so operators can see where a route went."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        self._service = service.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                served_by = (b"x-served-by", self._service)
                message["headers"] = [*message.get("headers", []), served_by]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            self._record(scope, status, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, elapsed: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        labels = (self.service, scope["method"], route, str(status))
        REQUESTS.labels(*labels).inc()
        LATENCY.labels(*labels).observe(elapsed)
        if scope["path"] in _QUIET_PATHS:
            return
        client = scope.get("client")
        # The service is named here, not only by the logging configuration: a logger caches its
        # processors on first use, so in a process that built several apps (the tests) the
        # configured name is whichever app logged first.
        access_logger.info(
            "http_request",
            service=self.service,
            method=scope["method"],
            path=scope["path"],
            route=route,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
            client=client[0] if client else None,
            user_id=_header(scope, b"x-user-id"),
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def install_observability(
    app: FastAPI, service: str, *, metrics_token: SecretStr | None, metrics_open: bool = False
) -> None:
    """Add the access log, metrics and request id middleware, and the ``/metrics`` route: for a
    scraper with ``Authorization: Bearer <METRICS_TOKEN>``, or anyone when ``metrics_open``."""
    app.add_middleware(AccessLogAndMetrics, service=service)
    # Added last so it runs first: the id is bound before anything logs.
    app.add_middleware(
        CorrelationIdMiddleware,
        header_name=REQUEST_ID_HEADER,
        generator=new_request_id,
        validator=is_valid_request_id,
    )

    @app.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if not metrics_open:
            check_scrape_token(request.headers.get("authorization"), metrics_token)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def check_scrape_token(authorization: str | None, token: SecretStr | None) -> None:
    """Raise unless ``authorization`` is ``Bearer <token>``; 404 when no token is configured."""
    if token is None:
        raise NotFound("Metrics are not served here: set METRICS_TOKEN to scrape them")
    scheme, _, given = (authorization or "").partition(" ")
    expected = token.get_secret_value().encode()
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise Unauthorized(
            "Scraping metrics needs Authorization: Bearer <METRICS_TOKEN>",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
