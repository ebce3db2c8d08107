"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer).

``/readyz`` checks the service's own database schema and Redis, each with a short timeout, and
answers 503 in the common error format naming the parts that failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from chiiki_shared.db import schema_exists
from chiiki_shared.errors import PROBLEM_MEDIA_TYPE, problem_body
from chiiki_shared.runtime import Runtime

CHECK_TIMEOUT_SECONDS = 2.0

Check = Callable[[Runtime], Awaitable[None]]


async def check_database(runtime: Runtime) -> None:
    if not await schema_exists(runtime.engine, runtime.settings.db_schema):
        raise RuntimeError(f"schema {runtime.settings.db_schema!r} is missing")


async def check_redis(runtime: Runtime) -> None:
    await runtime.redis.ping()


DEFAULT_CHECKS: dict[str, Check] = {"database": check_database, "redis": check_redis}


async def _run_check(check: Check, runtime: Runtime) -> str | None:
    """``None`` when the check passes, else why it failed."""
    try:
        await asyncio.wait_for(check(runtime), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_SECONDS:g}s"
    except Exception as exc:  # any failure of a dependency means "not ready"
        return f"{type(exc).__name__}: {exc}"[:300]
    return None


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["ok", "failed"]
    error: str | None = None


class Readiness(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["ok"]
    service: str
    checks: dict[str, CheckResult]


class Liveness(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["ok"]
    service: str


def health_router(checks: dict[str, Check] | None = None) -> APIRouter:
    router = APIRouter(tags=["health"])
    all_checks = checks or DEFAULT_CHECKS

    @router.get("/healthz", summary="The process is alive")
    async def healthz(request: Request) -> Liveness:
        return Liveness(status="ok", service=request.app.state.runtime.settings.service_name)

    @router.get(
        "/readyz",
        summary="The service's dependencies answer",
        responses={200: {"model": Readiness}},
    )
    async def readyz(request: Request) -> JSONResponse:
        runtime: Runtime = request.app.state.runtime
        names = list(all_checks)
        results = await asyncio.gather(*(_run_check(all_checks[n], runtime) for n in names))
        parts: dict[str, Any] = {
            name: ({"status": "ok"} if error is None else {"status": "failed", "error": error})
            for name, error in zip(names, results, strict=True)
        }
        service = runtime.settings.service_name
        failed = [name for name, error in zip(names, results, strict=True) if error]
        if not failed:
            return JSONResponse({"status": "ok", "service": service, "checks": parts})
        body = problem_body(
            status=503,
            code="not-ready",
            title="Service not ready",
            detail=f"{service} cannot reach: {', '.join(failed)}",
            instance=request.url.path,
            service=service,
            checks=parts,
        )
        return JSONResponse(body, status_code=503, media_type=PROBLEM_MEDIA_TYPE)

    return router
