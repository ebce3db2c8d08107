"""``/api/regions``: the nation, prefectures, municipalities and wards."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from chiiki_stats import schemas
from chiiki_stats.deps import ContextDep, require_regions
from chiiki_stats.formats import Format
from chiiki_stats.params import JsonQuery, RegionListQuery
from chiiki_stats.routers.common import RegionPath, linked, ready, stats_router
from chiiki_stats.schemas import answer
from chiiki_stats.services import regions

router = stats_router("regions")


@router.get(
    "/api/regions",
    responses=answer(schemas.RegionList, Format.CSV, Format.GEOJSON),
    summary="List regions by level, parent or name",
)
async def list_regions(ctx: ContextDep, params: Annotated[RegionListQuery, Query()]) -> Response:
    query = params.region_query()
    return await ctx.respond(
        "regions.list",
        query.__dict__,
        datasets=[],
        query=params,
        produce=lambda: ready(linked(ctx.request, regions.list_regions(ctx.reference, query))),
    )


@router.get(
    "/api/regions/{code}",
    responses=answer(schemas.RegionDetail),
    summary="One region, its parent and children",
)
async def get_region(
    ctx: ContextDep, code: RegionPath, params: Annotated[JsonQuery, Query()]
) -> Response:
    require_regions(ctx.reference, [code])
    return await ctx.respond(
        "regions.get",
        {"code": code},
        datasets=[],
        query=params,
        produce=lambda: ready(regions.region_detail(ctx.reference, code)),
    )
