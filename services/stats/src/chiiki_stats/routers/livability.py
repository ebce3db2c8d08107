"""``/api/livability``: 0-100 scores per indicator and a composite index with caller weights."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from chiiki_shared.errors import NotFound
from chiiki_stats import schemas
from chiiki_stats.catalog import Reference
from chiiki_stats.deps import ContextDep, require_regions
from chiiki_stats.formats import ALL_FORMATS, NO_MAP
from chiiki_stats.params import (
    QUERY_LEVELS,
    JsonQuery,
    LivabilityQuery,
    RegionLivabilityQuery,
    reject,
)
from chiiki_stats.routers.common import FOUND, RegionPath, params_of, ready, stats_router
from chiiki_stats.schemas import answer
from chiiki_stats.services import livability

router = stats_router("livability")


def _check_weights(reference: Reference, given: dict[str, float]) -> None:
    unknown = [code for code in given if code not in reference.catalog]
    if unknown:
        raise NotFound(
            f"No indicator with code {', '.join(unknown)}",
            extra={"resource": "indicator", "missing": unknown},
        )
    components = {indicator.code for indicator in livability.components(reference.catalog)}
    undirected = [code for code in given if code not in components]
    if undirected:
        reject(
            (
                "query",
                "weights",
                f"{', '.join(undirected)} cannot be scored (no direction); "
                f"components: {', '.join(sorted(components))}",
            )
        )
    if not livability.effective_weights(reference.catalog, given):
        reject(("query", "weights", "at least one weight must be above 0"))


@router.get(
    "/api/livability/components",
    responses=answer(schemas.LivabilityComponents),
    summary="The scorable indicators, their default weights and the scoring method",
)
async def livability_components(ctx: ContextDep, params: Annotated[JsonQuery, Query()]) -> Response:
    items = livability.components(ctx.reference.catalog)
    return await ctx.respond(
        "livability.components",
        {},
        datasets=[],
        query=params,
        produce=lambda: ready(livability.ComponentList(items)),
    )


@router.get(
    "/api/livability",
    responses=answer(schemas.LivabilityIndex, *ALL_FORMATS) | FOUND,
    summary="Livability index of every region of a level: scores, ranks, contributions",
)
async def livability_index(
    ctx: ContextDep, params: Annotated[LivabilityQuery, Query()]
) -> Response:
    chosen_level, parent_code, span, language = (
        params.level,
        params.parent,
        params.span,
        params.lang,
    )
    given = dict(params.weights)
    _check_weights(ctx.reference, given)
    parent_region = require_regions(ctx.reference, [parent_code])[0] if parent_code else None
    effective = livability.effective_weights(ctx.reference.catalog, given)
    datasets = ctx.reference.catalog.datasets_for(effective)

    async def produce() -> livability.LivabilityIndex:
        scores = await livability.scores_of(
            ctx.session,
            ctx.reference,
            chosen_level,
            parent_region,
            span,
            effective,
            ctx.attribution,
            ctx.datasets,
        )
        return livability.LivabilityIndex(scores, language)

    return await ctx.respond(
        "livability.index",
        params_of(
            level=chosen_level,
            parent=parent_code,
            year=span.first if span else "latest",
            kinds=span.kinds if span else None,
            weights=effective,
            lang=language,
        ),
        datasets=datasets,
        query=params,
        produce=produce,
    )


@router.get(
    "/api/livability/{code}",
    responses=answer(schemas.RegionLivability, *NO_MAP),
    summary="One region's livability score and each component's contribution to it",
)
async def region_livability(
    code: RegionPath, ctx: ContextDep, params: Annotated[RegionLivabilityQuery, Query()]
) -> Response:
    span, language, given = params.span, params.lang, dict(params.weights)
    _check_weights(ctx.reference, given)
    (region,) = require_regions(ctx.reference, [code])
    if region.level not in QUERY_LEVELS:
        reject(
            (
                "path",
                "code",
                f"{code} is a {region.level}; scores compare prefectures, municipalities or wards",
            )
        )
    effective = livability.effective_weights(ctx.reference.catalog, given)
    datasets = ctx.reference.catalog.datasets_for(effective)

    async def produce() -> livability.RegionLivability:
        scores = await livability.scores_of(
            ctx.session,
            ctx.reference,
            region.level,
            None,
            span,
            effective,
            ctx.attribution,
            ctx.datasets,
        )
        return livability.RegionLivability(scores, region, language)

    return await ctx.respond(
        "livability.region",
        params_of(
            code=code,
            year=span.first if span else "latest",
            kinds=span.kinds if span else None,
            weights=effective,
            lang=language,
        ),
        datasets=datasets,
        query=params,
        produce=produce,
    )
