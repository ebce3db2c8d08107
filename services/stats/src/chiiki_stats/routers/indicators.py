"""``/api/indicators``: the curated indicator catalog."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from chiiki_stats import indicators
from chiiki_stats.deps import ContextDep, Problems, require_indicators
from chiiki_stats.formats import TABULAR, Format
from chiiki_stats.routers.common import FormatQuery, ready, stats_router

router = stats_router("indicators")


@router.get("/api/indicators", summary="The indicator catalog, by category or search")
async def list_indicators(
    request: Request,
    ctx: ContextDep,
    category: Annotated[str | None, Query(description="population, vital, health...")] = None,
    q: Annotated[str | None, Query(description="Part of the code, names or definition")] = None,
    fmt: FormatQuery = None,
) -> Response:
    problems = Problems(request, {"category", "q", "format"})
    output = problems.format(fmt, TABULAR)
    categories = list(dict.fromkeys(indicator.category for indicator in ctx.reference.catalog))
    chosen = problems.choice("category", category, categories, "") or None
    problems.done()
    search = q.strip() if q and q.strip() else None
    return await ctx.respond(
        "indicators.list",
        {"category": chosen, "q": search},
        datasets=[],
        fmt=output,
        produce=lambda: ready(indicators.list_indicators(ctx.reference.catalog, chosen, search)),
    )


@router.get("/api/indicators/{code}", summary="One indicator: definition, sources, formula")
async def get_indicator(
    request: Request, ctx: ContextDep, code: str, fmt: FormatQuery = None
) -> Response:
    problems = Problems(request, {"format"})
    output = problems.format(fmt, {Format.JSON})
    if problems.indicator_code("code", code) is None:
        problems.errors[-1]["field"] = "path.code"
    problems.done()
    require_indicators(ctx.reference, [code])
    catalog = ctx.reference.catalog
    return await ctx.respond(
        "indicators.get",
        {"code": code},
        datasets=[source.dataset_id for source in catalog[code].sources if source.dataset_id],
        fmt=output,
        produce=lambda: ready(indicators.indicator_detail(catalog, code, ctx.datasets)),
    )
