"""``/api/indicators``: the curated indicator catalog."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response

from chiiki_shared.pagination import bad_cursor
from chiiki_stats import schemas
from chiiki_stats.deps import ContextDep, require_indicators
from chiiki_stats.formats import ALL_FORMATS, TABULAR
from chiiki_stats.params import (
    IndicatorCode,
    IndicatorCrossSectionQuery,
    IndicatorListQuery,
    JsonQuery,
    reject,
)
from chiiki_stats.routers import cross_sections
from chiiki_stats.routers.common import linked, params_of, ready, stats_router
from chiiki_stats.schemas import answer
from chiiki_stats.services import indicators

router = stats_router("indicators")


@router.get(
    "/api/indicators",
    responses=answer(schemas.IndicatorList, *TABULAR),
    summary="The indicator catalog, by category or search",
)
async def list_indicators(
    ctx: ContextDep, params: Annotated[IndicatorListQuery, Query()]
) -> Response:
    catalog = ctx.reference.catalog
    categories = indicators.categories(catalog)
    if params.category is not None and params.category not in categories:
        reject(("query", "category", f"{params.category!r} is not one of: {', '.join(categories)}"))
    query = params.indicator_query()
    if query.after is not None and query.after not in catalog:
        raise bad_cursor()
    return await ctx.respond(
        "indicators.list",
        params_of(**query.__dict__),
        datasets=[],
        query=params,
        produce=lambda: ready(linked(ctx.request, indicators.list_indicators(catalog, query))),
    )


@router.get(
    "/api/indicators/{code}",
    responses=answer(schemas.IndicatorDetail),
    summary="One indicator: definition, sources, formula",
)
async def get_indicator(
    ctx: ContextDep,
    code: Annotated[IndicatorCode, Path(description="Indicator code (e.g. population.total)")],
    params: Annotated[JsonQuery, Query()],
) -> Response:
    require_indicators(ctx.reference, [code])
    catalog = ctx.reference.catalog
    return await ctx.respond(
        "indicators.get",
        {"code": code},
        datasets=[source.dataset_id for source in catalog[code].sources if source.dataset_id],
        query=params,
        produce=lambda: ready(indicators.indicator_detail(catalog, code, ctx.datasets)),
    )


@router.get(
    "/api/indicators/{code}/cross-section",
    responses=answer(schemas.IndicatorCrossSection, *ALL_FORMATS),
    summary="One indicator for every region of a level in one year, with ranks (1 = largest): "
    "the map of any indicator",
)
async def indicator_cross_section(
    ctx: ContextDep,
    code: Annotated[IndicatorCode, Path(description="Indicator code (e.g. population.total)")],
    params: Annotated[IndicatorCrossSectionQuery, Query()],
) -> Response:
    require_indicators(ctx.reference, [code])
    chosen = [ctx.reference.catalog[code]]
    return await cross_sections.respond(ctx, params, chosen, "indicators.cross_section")
