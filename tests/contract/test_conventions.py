"""Every service's OpenAPI document keeps the conventions of docs/api-conventions.md: reads
take ``lang``, lists are ``{items, next}`` pages taking ``limit`` and ``cursor``, errors are the
``Problem`` schema, regions are ``{code, level, name_ja, name_en}``
(``tools/contract/conventions.py``)."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from fastapi import FastAPI, Query
from pydantic import BaseModel

from chiiki_devstack.config import REPO_ROOT
from chiiki_devstack.pytest_plugin import import_test_helper

CONTRACT = REPO_ROOT / "tools" / "contract"
SERVICES = ("auth", "stats", "ingest", "analytics")

# GET routes that are no read of the API's data, so take no lang: the probes and the keys.
# (The docs, openapi.json and /metrics are not in the documents.)
NOT_READS = frozenset({"/healthz", "/readyz", "/api/auth/.well-known/jwks.json"})
# Justified exceptions, each with its reason; each must still be a violation (the list stays
# exact: an exception fixed is taken off).
EXCEPTIONS = {
    "auth": {
        # A user's live sessions: one list, most recently used first; a cursor on a time every
        # refresh moves would skip or repeat sessions (docs/api-conventions.md).
        "page: GET /api/auth/me/sessions: answers ['items'], not ['items', 'next']",
        "page: GET /api/auth/me/sessions: lists without taking ['cursor', 'limit']",
    },
}


generate = import_test_helper(CONTRACT / "generate.py")
conventions = import_test_helper(CONTRACT / "conventions.py")


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_keeps_the_conventions(service: str) -> None:
    found = conventions.violations(generate.openapi_document(service), not_reads=NOT_READS)
    allowed = EXCEPTIONS.get(service, set())
    unexpected = [v for v in found if v not in allowed]
    assert unexpected == [], f"{service}:\n" + "\n".join(unexpected)
    assert sorted(allowed - set(found)) == [], "no longer violated: take off EXCEPTIONS"


# -- the checker itself can fail -------------------------------------------------------------------


class Region(BaseModel):
    code: str
    name_ja: str


class Summary(BaseModel):
    region: Region
    value: float


class Listing(BaseModel):
    items: list[Summary]
    total: int


def _violating_app() -> FastAPI:
    app = FastAPI()

    @app.get("/things")
    async def things(limit: Annotated[int, Query()] = 10) -> Listing:
        raise NotImplementedError

    @app.get("/bare")
    async def bare(lang: Annotated[str, Query()] = "ja") -> list[Summary]:
        raise NotImplementedError

    @app.get("/wrong-problem", responses={404: _PROBLEM_AS_ANYTHING})
    async def wrong_problem(lang: Annotated[str, Query()] = "ja") -> Region:
        raise NotImplementedError

    return app


_PROBLEM_AS_ANYTHING = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}


def test_the_checker_sees_each_kind_of_violation() -> None:
    document: dict[str, Any] = _violating_app().openapi()
    assert conventions.violations(document) == [
        "lang: GET /things",
        "page: GET /things: answers ['items', 'total'], not ['items', 'next']",
        "page: GET /things: lists without taking ['cursor']",
        # FastAPI's own 422 (HTTPValidationError under application/json), not the Problem.
        "problem: GET /things: 422 is ['application/json'], not application/problem+json",
        "page: GET /bare: answers a bare array, not {items, next}",
        "problem: GET /bare: 422 is ['application/json'], not application/problem+json",
        "problem: GET /wrong-problem: 404 is {'type': 'object'}, not the Problem schema",
        "problem: GET /wrong-problem: 422 is ['application/json'], not application/problem+json",
        "region: Region lacks ['level', 'name_en']",
        "region: Summary.region lacks ['level', 'name_en']",
    ]
