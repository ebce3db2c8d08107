"""``/api/regions``: the nation, prefectures, municipalities and wards."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response

from chiiki_stats import regions
from chiiki_stats.catalog import LEVELS
from chiiki_stats.deps import ContextDep, Problems, require_regions
from chiiki_stats.formats import Format
from chiiki_stats.routers.common import (
    GEO_LEVEL_ONLY,
    FormatQuery,
    path_region,
    ready,
    stats_router,
)

router = stats_router("regions")
MAX_LIMIT = 1000


def region_query(
    request: Request,
    level: Annotated[str | None, Query(description=f"One of: {', '.join(LEVELS)}")] = None,
    parent: Annotated[
        str | None, Query(description="Direct parent's code (e-Stat @parentCode)")
    ] = None,
    prefecture: Annotated[str | None, Query(description="Every region of this prefecture")] = None,
    q: Annotated[str | None, Query(description="Part of the name in kanji, kana or romaji")] = None,
    limit: Annotated[
        str | None, Query(description=f"Page size, 1-{MAX_LIMIT} (default 100)")
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    fmt: FormatQuery = None,
) -> tuple[regions.RegionQuery, Format]:
    problems = Problems(
        request, {"level", "parent", "prefecture", "q", "limit", "cursor", "format"}
    )
    chosen = problems.choice("level", level, LEVELS, "") or None
    query = regions.RegionQuery(
        level=chosen,
        parent=problems.region_code("parent", parent),
        prefecture=problems.region_code("prefecture", prefecture),
        search=q.strip() if q and q.strip() else None,
        after=None,
        limit=problems.integer("limit", limit, 100, 1, MAX_LIMIT),
    )
    if cursor is not None:
        after = regions.decode_cursor(cursor)
        if after is None:
            problems.add("cursor", "not a cursor this endpoint issued")
        query = regions.RegionQuery(**{**query.__dict__, "after": after})
    output = problems.format(fmt, {Format.JSON, Format.CSV, Format.GEOJSON})
    if output is Format.GEOJSON and chosen != "prefecture":
        problems.add("format", GEO_LEVEL_ONLY)
    if output is Format.CHARTJS:
        problems.add("format", "regions have no chart: use json, csv or geojson")
    problems.done()
    return query, output


@router.get("/api/regions", summary="List regions by level, parent or name")
async def list_regions(
    ctx: ContextDep, params: Annotated[tuple[regions.RegionQuery, Format], Depends(region_query)]
) -> Response:
    query, output = params
    return await ctx.respond(
        "regions.list",
        query.__dict__,
        datasets=[],
        fmt=output,
        produce=lambda: ready(regions.list_regions(ctx.reference, query)),
    )


@router.get("/api/regions/{code}", summary="One region, its parent and children")
async def get_region(
    ctx: ContextDep,
    code: Annotated[str, Depends(path_region)],
    request: Request,
    fmt: FormatQuery = None,
) -> Response:
    problems = Problems(request, {"format"})
    output = problems.format(fmt, {Format.JSON})
    problems.done()
    require_regions(ctx.reference, [code])
    return await ctx.respond(
        "regions.get",
        {"code": code},
        datasets=[],
        fmt=output,
        produce=lambda: ready(regions.region_detail(ctx.reference, code)),
    )
