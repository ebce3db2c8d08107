"""One error format for every service: RFC 9457 ``application/problem+json``.

Every error body has ``type``, ``code`` (stable, machine-readable), ``title``, ``status``,
``detail``, ``instance`` (the path) and ``request_id``; validation errors add ``errors``, one
entry per offending field.
The gateway's own errors (404 for unknown paths, 502/503/504) use the same shape.

A dependency that fails (Redis, PostgreSQL, another service over HTTP) is not a bug of ours: it
answers 503 ``dependency-unavailable`` with ``Retry-After`` and ``dependency`` naming the part
(see ``dependency_of``), from a handler that returns a response, so the keep-alive connection
stays usable (an exception escaping the app makes uvicorn close it under the gateway's feet).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import asyncpg
import httpx
import redis.exceptions
import sqlalchemy.exc
import structlog
from asgi_correlation_id import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"

logger = structlog.get_logger(__name__)


class ApiError(Exception):
    """An expected error, answered with its status and a problem body.

    Subclass it per meaning (``NotFound``, ``Conflict``...) or raise it with a ``code``.
    """

    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        status: int | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.code
        self.status = status or self.status
        self.title = title or self.title
        self.headers = headers or {}
        self.extra = extra or {}


class NotFound(ApiError):
    status, code, title = 404, "not-found", "Not found"


class Conflict(ApiError):
    status, code, title = 409, "conflict", "Conflict"


class Unauthorized(ApiError):
    status, code, title = 401, "unauthorized", "Authentication required"


class Forbidden(ApiError):
    status, code, title = 403, "forbidden", "Forbidden"


class UnprocessableInput(ApiError):
    status, code, title = 422, "validation-failed", "Invalid input"


class TooManyRequests(ApiError):
    status, code, title = 429, "too-many-requests", "Too many requests"


class ServiceUnavailable(ApiError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


DEPENDENCY_RETRY_AFTER_SECONDS = 5


class DependencyUnavailable(ServiceUnavailable):
    """A part we depend on (``redis``, ``postgresql``, ``auth``...) cannot serve this request."""

    code, title = "dependency-unavailable", "Dependency unavailable"

    def __init__(
        self,
        dependency: str,
        detail: str | None = None,
        *,
        retry_after: int = DEPENDENCY_RETRY_AFTER_SECONDS,
    ) -> None:
        super().__init__(
            detail or f"{dependency} cannot be reached right now; try again shortly",
            headers={"Retry-After": str(retry_after)},
            extra={"dependency": dependency, "retry_after": retry_after},
        )
        self.dependency = dependency


def problem_body(
    *, status: int, code: str, title: str, detail: str, instance: str, **extra: Any
) -> dict[str, Any]:
    return {
        "type": f"/problems/{code}",
        "code": code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": correlation_id.get(),
        **extra,
    }


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_body(
        status=status, code=code, title=title, detail=detail, instance=request.url.path, **extra
    )
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _unexpected(exc: Exception) -> TypeError:
    """A handler called for an exception it is not registered for (Starlette types every
    handler's exception as ``Exception``)."""
    return TypeError(f"no handler for {type(exc).__name__} here")


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ApiError):
        raise _unexpected(exc)
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=exc.headers,
        **exc.extra,
    )


_DEFAULT_DETAILS = {
    404: "No route matches {path}.",
    405: "This method is not allowed on {path}.",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise _unexpected(exc)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != phrase else None
    if detail is None:
        detail = _DEFAULT_DETAILS.get(exc.status_code, phrase).format(path=request.url.path)
    code = phrase.lower().replace(" ", "-").replace("'", "")
    return problem_response(
        request,
        status=exc.status_code,
        code=code,
        title=phrase,
        detail=detail,
        headers=getattr(exc, "headers", None),
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise _unexpected(exc)
    fields = [
        {
            "field": ".".join(str(part) for part in error["loc"]),
            "message": error["msg"],
            "type": error["type"],
        }
        for error in exc.errors()
    ]
    names = ", ".join(field["field"] for field in fields)
    return problem_response(
        request,
        status=422,
        code="validation-failed",
        title="Invalid input",
        detail=f"Invalid value for: {names}",
        errors=fields,
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled_error", path=request.url.path, error_type=type(exc).__name__)
    return problem_response(
        request,
        status=500,
        code="internal-error",
        title="Internal server error",
        detail="The server failed to answer this request; it has been logged.",
    )


# -- dependency failures ---------------------------------------------------------------------------

_REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
_POSTGRES_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection came free in time
)
# Which dependency an OSError came from: the library the failing call went through.
_MODULE_DEPENDENCIES = {"redis": "redis", "asyncpg": "postgresql", "sqlalchemy": "postgresql"}
_HTTP_MODULES = ("httpx", "httpcore")
_http_dependencies: dict[str, str] = {}
# The exception types whose handler decides between 503 (a dependency) and 500 (a bug); they
# are handled without re-raising, so the connection stays usable either way.
DEPENDENCY_ERROR_TYPES: tuple[type[Exception], ...] = (
    *_REDIS_ERRORS,
    *_POSTGRES_ERRORS,
    sqlalchemy.exc.DBAPIError,
    httpx.TransportError,
    OSError,
)


def name_http_dependency(base_url: str, name: str) -> None:
    """Name the service at ``base_url`` (``auth``, ``stats``) in 503s when it cannot be reached."""
    _http_dependencies[_host_of(base_url)] = name


def _host_of(url: str | httpx.URL) -> str:
    parsed = httpx.URL(str(url))
    return f"{parsed.host}:{parsed.port or ''}"


def _http_dependency(exc: httpx.TransportError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # raised without a request
        return "http"
    return _http_dependencies.get(_host_of(url), url.host or "http")


def _dependency_from_traceback(exc: BaseException) -> str | None:
    """For a bare OSError: the innermost library frame it passed through names the part."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        root = str(tb.tb_frame.f_globals.get("__name__", "")).split(".", 1)[0]
        if root in _MODULE_DEPENDENCIES:
            found = _MODULE_DEPENDENCIES[root]
        elif root in _HTTP_MODULES:
            found = "http"
        tb = tb.tb_next
    return found


def dependency_of(exc: BaseException) -> str | None:
    """The dependency whose failure ``exc`` is (``redis``, ``postgresql``, a service's name), or
    ``None`` when it is a failure of ours. Follows ``__cause__``/``__context__`` a few links."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, DependencyUnavailable):
            return seen.dependency
        if isinstance(seen, _REDIS_ERRORS):
            return "redis"
        if isinstance(seen, _POSTGRES_ERRORS):
            return "postgresql"
        if isinstance(seen, sqlalchemy.exc.DBAPIError) and seen.connection_invalidated:
            return "postgresql"
        if isinstance(seen, httpx.TransportError):
            return _http_dependency(seen)
        if isinstance(seen, OSError):
            return _dependency_from_traceback(seen)
        seen = seen.__cause__ or seen.__context__
    return None


async def _dependency_error(request: Request, exc: Exception) -> JSONResponse:
    dependency = dependency_of(exc)
    if dependency is None:
        return await _unexpected_error(request, exc)
    logger.warning(
        "dependency_unavailable",
        path=request.url.path,
        dependency=dependency,
        # The type only: a driver's message may quote the statement and its parameters.
        error_type=type(exc).__name__,
    )
    return await _api_error(request, DependencyUnavailable(dependency))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for error_type in DEPENDENCY_ERROR_TYPES:
        app.add_exception_handler(error_type, _dependency_error)
    app.add_exception_handler(Exception, _unexpected_error)
