"""What every stats router shares: the auth dependency, parameter docs and small helpers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from chiiki_shared.errors import UnprocessableInput
from chiiki_shared.security import read_principal
from chiiki_stats.deps import REGION_CODE, Problems
from chiiki_stats.formats import Format, Result

FORMAT_DOC = (
    "json (default), csv, chartjs (Chart.js data object), geojson (polygons with the values as "
    "properties) or topojson (municipal and ward maps), where the route offers it"
)
LANG_DOC = "Language of labels in csv, chartjs and geojson output: ja (default) or en"
YEAR_DOC = (
    "A year: 2020 (calendar or fiscal year, as each source publishes it), CY2020 or FY2020 "
    "(only that kind) or an e-Stat year code (2020100000)"
)
NOT_GEO = {Format.JSON, Format.CSV, Format.CHARTJS}

FormatQuery = Annotated[str | None, Query(alias="format", description=FORMAT_DOC)]
LangQuery = Annotated[str | None, Query(description=LANG_DOC)]
YearQuery = Annotated[str | None, Query(description=YEAR_DOC)]
FromQuery = Annotated[str | None, Query(alias="from", description="First year of a range")]
ToQuery = Annotated[str | None, Query(alias="to", description="Last year of a range")]
LevelQuery = Annotated[str | None, Query(description="prefecture (default), municipality or ward")]
ParentQuery = Annotated[
    str | None, Query(description="Only regions inside this region (e.g. a prefecture code)")
]

GEO_LEVEL_ONLY = "geojson has prefecture polygons only: use level=prefecture"
TOPO_LEVELS_ONLY = (
    "topojson has municipal and ward boundaries only: use format=geojson for prefectures"
)


def check_map_format(problems: Problems, output: Format, level: str) -> None:
    """Maps: GeoJSON for every level, TopoJSON for municipalities and wards."""
    if output is Format.TOPOJSON and level == "prefecture":
        problems.add("format", TOPO_LEVELS_ONLY)


PROBLEM = {"application/problem+json": {}}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The answer, in the format asked for "
        "(json, csv, chartjs, geojson, topojson). "
        "Carries ETag, Cache-Control and X-Cache (HIT, MISS or BYPASS when Redis is down).",
        "content": {
            "application/json": {},
            "text/csv": {},
            "application/geo+json": {},
            "application/topo+json": {},
        },
    },
    304: {"description": "If-None-Match named the current ETag: nothing changed"},
    401: {"description": "No valid access token", "content": PROBLEM},
    404: {"description": "An unknown region, indicator or dataset, named", "content": PROBLEM},
    422: {"description": "Malformed parameters, each listed in errors", "content": PROBLEM},
}


def stats_router(tag: str) -> APIRouter:
    return APIRouter(tags=[tag], dependencies=[Depends(read_principal)], responses=RESPONSES)


def path_region(request: Request, code: str) -> str:
    """A region code in the path: 422 when it cannot be one."""
    if not REGION_CODE.fullmatch(code):
        error = {
            "field": "path.code",
            "message": f"{code!r} is not a region code (5 characters, e.g. 13000 or 0120B)",
            "type": "value_error",
        }
        raise UnprocessableInput("Invalid value for: path.code", extra={"errors": [error]})
    return code


def params_of(**values: Any) -> dict[str, Any]:
    """The parameters that decide a response, normalised for its cache key."""
    return {
        key: sorted(value) if isinstance(value, set | frozenset) else value
        for key, value in values.items()
    }


async def ready(result: Result) -> Result:
    """A result computed without I/O, as the awaitable ``Context.respond`` expects."""
    return result
