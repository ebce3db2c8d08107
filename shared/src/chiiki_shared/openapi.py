"""The error responses of every route in the OpenAPI document: one ``Problem`` schema.

Every service answers errors as RFC 9457 problem documents (``chiiki_shared.errors``), so each
operation declares its 4xx/5xx answers as ``application/problem+json`` with the ``Problem``
schema instead of FastAPI's ``HTTPValidationError``. Which statuses a route declares follows from
what it is: every route can answer 422 (the input guard, parameters), 500 and 503; a route with a
body 400 (malformed JSON); with a token check 401; admin-only 403; with path parameters 404.
Routes add their own (409, 429...) with ``responses=problem_responses(...)``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security.base import SecurityBase
from pydantic import BaseModel, ConfigDict, Field

from chiiki_shared.errors import PROBLEM_MEDIA_TYPE

PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}}

_DESCRIPTIONS = {
    400: "Malformed request body (not JSON, or nested too deeply)",
    401: "No valid access token",
    403: "Not allowed for this role",
    404: "Not found",
    422: "Invalid input, each problem listed in errors",
    500: "Unexpected server error (logged)",
    503: "A dependency (database, Redis, keys) cannot be reached",
}


class ProblemField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: str = Field(description="Where: body.x, query.y, path.z")
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document; members beyond these (``retry_after``...) may follow."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})

    type: str = Field(examples=["/problems/validation-failed"])
    code: str = Field(description="Stable, machine-readable", examples=["validation-failed"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str = Field(description="The request's path")
    request_id: str | None
    errors: list[ProblemField] | None = None


def problem_responses(*statuses: int, **descriptions: str) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: problem documents with these statuses (``d409="..."`` to
    describe one)."""
    return {
        status: {
            "description": descriptions.get(f"d{status}", _description(status)),
            "content": PROBLEM_CONTENT,
        }
        for status in statuses
    }


def _description(status: int) -> str:
    return _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase


def _calls(dependant: Dependant) -> list[Any]:
    found, pending = [], [dependant]
    while pending:
        current = pending.pop()
        found.append(current.call)
        pending.extend(current.dependencies)
    return found


def route_error_statuses(route: Any) -> set[int]:
    """The error statuses a route (an ``APIRoute`` or FastAPI's route context) can answer."""
    from chiiki_shared.security import admin_principal

    statuses = {422, 500, 503}
    calls = _calls(route.dependant)
    if route.body_field is not None:
        statuses.add(400)
    if any(isinstance(call, SecurityBase) for call in calls):
        statuses.add(401)
    if admin_principal in calls:
        statuses.add(403)
    if "{" in route.path_format:
        statuses.add(404)
    return statuses


def declare_problem_responses(operation: dict[str, Any], statuses: set[int]) -> None:
    responses = operation.setdefault("responses", {})
    for status in sorted(statuses):
        responses.setdefault(str(status), {"description": _description(status)})
    for status, response in responses.items():
        if status[0] in "45":
            response["content"] = PROBLEM_CONTENT
            if response.get("description") == "Validation Error":  # FastAPI's, for its own 422
                response["description"] = _description(422)


def install_problem_schema(app: FastAPI) -> None:
    """Make ``app.openapi()`` declare every route's errors as ``Problem`` documents."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for route in routing.iter_route_contexts(app.routes):
                if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                    continue
                statuses = route_error_statuses(route)
                for method in route.methods or ():
                    operation = schema["paths"][route.path_format].get(method.lower())
                    if operation is not None:
                        declare_problem_responses(operation, statuses)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(problem.pop("$defs", {}))
            schemas["Problem"] = problem
            for unused in ("HTTPValidationError", "ValidationError"):
                schemas.pop(unused, None)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
