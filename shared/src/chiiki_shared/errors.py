"""One error format for every service: RFC 9457 ``application/problem+json``.

Every error body has ``type``, ``code`` (stable, machine-readable), ``title``, ``status``,
``detail``, ``instance`` (the path) and ``request_id``; validation errors add ``errors``, one
entry per offending field.
The gateway's own errors (404 for unknown paths, 502/503/504) use the same shape.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

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


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
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
    assert isinstance(exc, StarletteHTTPException)
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
    assert isinstance(exc, RequestValidationError)
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


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
