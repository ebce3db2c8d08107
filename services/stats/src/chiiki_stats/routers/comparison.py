"""``/api/comparison``: several regions x several indicators, with the national value."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from chiiki_stats import schemas
from chiiki_stats.catalog import NATION
from chiiki_stats.deps import ContextDep, require_indicators, require_regions
from chiiki_stats.formats import NO_MAP
from chiiki_stats.params import ComparisonQuery
from chiiki_stats.periods import YearSpan
from chiiki_stats.routers.common import FOUND, params_of, stats_router
from chiiki_stats.schemas import answer
from chiiki_stats.services import comparison
from chiiki_stats.values import Evaluator, sources_in

router = stats_router("comparison")
ALL_YEARS = YearSpan(1800, 2200)


@router.get(
    "/api/comparison",
    responses=answer(schemas.Comparison, *NO_MAP) | FOUND,
    summary="Regions x indicators for a year or a range, with the nation alongside",
)
async def compare(ctx: ContextDep, params: Annotated[ComparisonQuery, Query()]) -> Response:
    region_codes, codes, span, language = (
        params.regions,
        params.indicators,
        params.span,
        params.lang,
    )
    with_nation = params.national
    chosen_regions = require_regions(ctx.reference, region_codes)
    require_indicators(ctx.reference, codes)
    catalog = ctx.reference.catalog
    nation = ctx.reference.regions[NATION] if with_nation and NATION not in region_codes else None
    lookup = [*region_codes, *([NATION] if nation else [])]
    datasets = catalog.datasets_for(codes)

    async def produce() -> comparison.Comparison:
        evaluator = Evaluator(catalog, ctx.reference.regions, ctx.datasets)
        values = await comparison.values_of(
            ctx.session, evaluator, codes, lookup, span or ALL_YEARS, ctx.datasets
        )
        if span is not None and span.first == span.last:
            years = [span.first]
        else:
            years = sorted(
                {
                    year
                    for regions in values.values()
                    for cells in regions.values()
                    for year in cells
                }
            )
        return comparison.Comparison(
            chosen_regions,
            nation,
            [catalog[code] for code in codes],
            values,
            years,
            span is not None and span.first == span.last,
            ctx.notes,
            ctx.attribution(sources_in(values)),
            language,
        )

    return await ctx.respond(
        "comparison",
        params_of(
            regions=region_codes,
            indicators=codes,
            span=str(span) if span else "all",
            kinds=span.kinds if span else None,
            national=nation is not None,
            lang=language,
        ),
        datasets=datasets,
        query=params,
        produce=produce,
    )
