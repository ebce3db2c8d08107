"""``/api/statistics``: distribution summaries, correlation, growth and moving averages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from chiiki_stats import schemas
from chiiki_stats.catalog import Reference, RegionInfo
from chiiki_stats.cells import Cell
from chiiki_stats.deps import Context, ContextDep, require_indicators, require_regions
from chiiki_stats.formats import NO_MAP, TABULAR
from chiiki_stats.params import (
    CorrelationQuery,
    MovingAverageQuery,
    ScopeQuery,
    SeriesQuery,
    SummaryQuery,
)
from chiiki_stats.periods import YearSpan
from chiiki_stats.routers.common import FOUND, params_of, stats_router
from chiiki_stats.schemas import answer
from chiiki_stats.services import summary
from chiiki_stats.services.latest import latest_years_of
from chiiki_stats.services.sections import cross_section_of
from chiiki_stats.values import Evaluator, sources_in, yearly_values

router = stats_router("statistics")
ALL_YEARS = YearSpan(1800, 2200)


def _regions(reference: Reference, scope: ScopeQuery) -> tuple[list[RegionInfo], RegionInfo | None]:
    level, parent, explicit = scope.chosen_level, scope.parent, scope.regions
    if explicit is not None:
        return require_regions(reference, explicit), None
    parent_region = require_regions(reference, [parent])[0] if parent else None
    return reference.regions.at_level(level, parent), parent_region


@router.get(
    "/api/statistics/summary",
    responses=answer(schemas.Distribution, *TABULAR) | FOUND,
    summary="Count, mean, median, std, quartiles, min/max with regions, CV over regions",
)
async def distribution(ctx: ContextDep, params: Annotated[SummaryQuery, Query()]) -> Response:
    code, span, language = params.indicator, params.span, params.lang
    chosen_level, parent_code, explicit = params.chosen_level, params.parent, params.regions
    require_indicators(ctx.reference, [code])
    chosen, parent_region = _regions(ctx.reference, params)
    catalog = ctx.reference.catalog
    datasets = catalog.datasets_for([code])
    region_codes = [region.code for region in chosen]

    async def produce() -> summary.Distribution:
        evaluator = Evaluator(catalog, ctx.reference.regions, ctx.datasets)
        year = span.first if span else None
        if year is None:
            latest = await latest_years_of(
                ctx.session, evaluator, [code], region_codes, ctx.datasets
            )
            year = latest[code]
        values = await cross_section_of(
            ctx.session,
            evaluator,
            [code],
            region_codes,
            year or 0,
            ctx.datasets,
            span.kinds if span else None,
        )
        return summary.Distribution(
            catalog[code],
            year or 0,
            summary.scope_of(chosen_level, parent_region, chosen, explicit is not None),
            chosen,
            values[code],
            ctx.attribution(sources_in(values)),
            language,
        )

    return await ctx.respond(
        "statistics.summary",
        params_of(
            indicator=code,
            level=chosen_level,
            parent=parent_code,
            regions=explicit,
            year=span.first if span else "latest",
            kinds=span.kinds if span else None,
        ),
        datasets=datasets,
        query=params,
        produce=produce,
    )


@router.get(
    "/api/statistics/correlation",
    responses=answer(schemas.Correlation, *NO_MAP) | FOUND,
    summary="Pearson and Spearman correlation of two indicators across regions",
)
async def correlation(ctx: ContextDep, params: Annotated[CorrelationQuery, Query()]) -> Response:
    x_code, y_code, span, language = params.x, params.y, params.span, params.lang
    chosen_level, parent_code, explicit = params.chosen_level, params.parent, params.regions
    require_indicators(ctx.reference, [x_code, y_code])
    chosen, parent_region = _regions(ctx.reference, params)
    catalog = ctx.reference.catalog
    datasets = catalog.datasets_for([x_code, y_code])
    region_codes = [region.code for region in chosen]

    async def produce() -> summary.Correlation:
        evaluator = Evaluator(catalog, ctx.reference.regions, ctx.datasets)
        year = span.first if span else None
        if year is None:
            found = await latest_years_of(
                ctx.session, evaluator, [x_code, y_code], region_codes, ctx.datasets
            )
            year = min((value for value in found.values() if value is not None), default=0)
        values = await cross_section_of(
            ctx.session,
            evaluator,
            [x_code, y_code],
            region_codes,
            year,
            ctx.datasets,
            span.kinds if span else None,
        )
        return summary.Correlation(
            catalog[x_code],
            catalog[y_code],
            year,
            summary.scope_of(chosen_level, parent_region, chosen, explicit is not None),
            chosen,
            values[x_code],
            values[y_code],
            ctx.attribution(sources_in(values)),
            language,
        )

    return await ctx.respond(
        "statistics.correlation",
        params_of(
            x=x_code,
            y=y_code,
            level=chosen_level,
            parent=parent_code,
            regions=explicit,
            year=span.first if span else "latest",
            kinds=span.kinds if span else None,
            lang=language,
        ),
        datasets=datasets,
        query=params,
        produce=produce,
    )


def _series_target(ctx: Context, code: str, region_code: str) -> RegionInfo:
    """The region of a single-series request, after checking both codes exist (404 if not)."""
    require_indicators(ctx.reference, [code])
    (chosen,) = require_regions(ctx.reference, [region_code])
    return chosen


async def _region_series(
    ctx: Context, code: str, region_code: str, span: YearSpan
) -> tuple[dict[int, Cell], list[str]]:
    """One indicator's yearly values for one region, with the attribution of their sources."""
    evaluator = Evaluator(ctx.reference.catalog, ctx.reference.regions, ctx.datasets)
    values = await yearly_values(ctx.session, evaluator, [code], [region_code], span)
    return values[code].get(region_code, {}), ctx.attribution(sources_in(values))


@router.get(
    "/api/statistics/growth",
    responses=answer(schemas.Growth, *NO_MAP) | FOUND,
    summary="Year-over-year growth of an indicator for a region, and its CAGR",
)
async def growth(ctx: ContextDep, params: Annotated[SeriesQuery, Query()]) -> Response:
    code, region_code, language = params.indicator, params.region, params.lang
    span = params.span or ALL_YEARS
    chosen = _series_target(ctx, code, region_code)

    async def produce() -> summary.Growth:
        points, attribution = await _region_series(ctx, code, region_code, span)
        return summary.Growth(ctx.reference.catalog[code], chosen, points, attribution, language)

    return await ctx.respond(
        "statistics.growth",
        params_of(
            indicator=code, region=region_code, span=str(span), kinds=span.kinds, lang=language
        ),
        datasets=ctx.reference.catalog.datasets_for([code]),
        query=params,
        produce=produce,
    )


@router.get(
    "/api/statistics/moving-average",
    responses=answer(schemas.MovingAverage, *NO_MAP) | FOUND,
    summary="Moving average of an indicator for a region over a window of years",
)
async def moving_average(
    ctx: ContextDep, params: Annotated[MovingAverageQuery, Query()]
) -> Response:
    code, region_code, language = params.indicator, params.region, params.lang
    span, size = params.span or ALL_YEARS, params.window
    chosen = _series_target(ctx, code, region_code)

    async def produce() -> summary.MovingAverage:
        points, attribution = await _region_series(ctx, code, region_code, span)
        indicator_info = ctx.reference.catalog[code]
        return summary.MovingAverage(indicator_info, chosen, points, size, attribution, language)

    return await ctx.respond(
        "statistics.moving_average",
        params_of(
            indicator=code,
            region=region_code,
            window=size,
            span=str(span),
            kinds=span.kinds,
            lang=language,
        ),
        datasets=ctx.reference.catalog.datasets_for([code]),
        query=params,
        produce=produce,
    )
