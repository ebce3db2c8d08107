"""``/api/population``: a region's population time series, and cross-sections with ranks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from chiiki_stats import schemas
from chiiki_stats.deps import ContextDep, require_regions
from chiiki_stats.formats import ALL_FORMATS, NO_MAP
from chiiki_stats.params import CrossSectionQuery, PopulationSeriesQuery, PyramidQuery
from chiiki_stats.periods import YearSpan
from chiiki_stats.routers import cross_sections
from chiiki_stats.routers.common import FOUND, RegionPath, params_of, stats_router
from chiiki_stats.schemas import answer
from chiiki_stats.services import population, pyramid
from chiiki_stats.values import (
    Evaluator,
    sources_in,
    yearly_values,
)

router = stats_router("population")
ALL_YEARS = YearSpan(1800, 2200)


@router.get(
    "/api/population/{code}",
    responses=answer(schemas.PopulationSeries, *NO_MAP),
    summary="A region's population as time series: total, sex, age, density, ageing, "
    "births, deaths, migration",
)
async def population_series(
    code: RegionPath, ctx: ContextDep, params: Annotated[PopulationSeriesQuery, Query()]
) -> Response:
    span, requested, language = params.span or ALL_YEARS, params.indicators, params.lang
    (region,) = require_regions(ctx.reference, [code])
    catalog = ctx.reference.catalog
    chosen = population.population_codes(catalog, requested)
    codes = [indicator.code for indicator in chosen]

    async def produce() -> population.PopulationSeries:
        evaluator = Evaluator(catalog, ctx.reference.regions, ctx.datasets)
        values = await yearly_values(ctx.session, evaluator, codes, [code], span)
        return population.PopulationSeries(
            region,
            chosen,
            {c: values[c].get(code, {}) for c in codes},
            ctx.notes,
            ctx.attribution(sources_in(values)),
            language,
        )

    return await ctx.respond(
        "population.series",
        params_of(code=code, span=str(span), kinds=span.kinds, indicators=codes, lang=language),
        datasets=catalog.datasets_for(codes),
        query=params,
        produce=produce,
    )


@router.get(
    "/api/population",
    responses=answer(schemas.PopulationCrossSection, *ALL_FORMATS) | FOUND,
    summary="Cross-section: every region of a level in one year, with ranks (1 = largest)",
)
async def population_cross_section(
    ctx: ContextDep, params: Annotated[CrossSectionQuery, Query()]
) -> Response:
    chosen = population.population_codes(ctx.reference.catalog, params.indicators)
    return await cross_sections.respond(ctx, params, chosen, "population.cross_section")


@router.get(
    "/api/population/{code}/pyramid",
    responses=answer(schemas.Pyramid, *NO_MAP),
    summary="Population by sex and five-year age group (a pyramid), one frame per census year",
)
async def population_pyramid(
    code: RegionPath, ctx: ContextDep, params: Annotated[PyramidQuery, Query()]
) -> Response:
    span, chosen_measure, language = params.span or ALL_YEARS, params.measure, params.lang
    (region,) = require_regions(ctx.reference, [code])

    async def produce() -> pyramid.Pyramid:
        frames, sexes = await pyramid.load(ctx.session, region, span)
        notes = ctx.notes.get(pyramid.DATASET, {})
        attribution = ctx.attribution([pyramid.DATASET])
        return pyramid.Pyramid(region, sexes, frames, notes, attribution, language, chosen_measure)

    return await ctx.respond(
        "population.pyramid",
        params_of(
            code=code, span=str(span), kinds=span.kinds, measure=chosen_measure, lang=language
        ),
        datasets=[pyramid.DATASET],
        query=params,
        produce=produce,
    )
