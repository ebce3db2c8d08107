"""What every stats router shares: the auth dependency, parameter docs and small helpers."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Request

from chiiki_shared.openapi import problem_responses
from chiiki_shared.pagination import next_link
from chiiki_shared.security import read_principal
from chiiki_stats.formats import Paged, Result
from chiiki_stats.params import RegionCode

# Routes without a path parameter that still name regions or indicators that may not exist.
FOUND = problem_responses(404, d404="An unknown region, indicator or dataset, named")


def stats_router(tag: str) -> APIRouter:
    return APIRouter(tags=[tag], dependencies=[Depends(read_principal)])


PageOf = TypeVar("PageOf", bound=Paged)

RegionPath = Annotated[RegionCode, Path(description="Region code (e.g. 13000 or 0120B)")]


def params_of(**values: Any) -> dict[str, Any]:
    """The parameters that decide a response, normalised for its cache key."""
    return {
        key: sorted(value) if isinstance(value, set | frozenset) else value
        for key, value in values.items()
    }


async def ready(result: Result) -> Result:
    """A result computed without I/O, as the awaitable ``Context.respond`` expects."""
    return result


def linked(request: Request, page: PageOf) -> PageOf:
    """The page with the URL of the next one: this request's parameters, the next cursor."""
    return replace(page, next=next_link(request, page.next_key))
