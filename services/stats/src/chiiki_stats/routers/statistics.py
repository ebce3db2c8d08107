"""``/api/statistics``: distribution summaries, correlation, growth and moving averages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from chiiki_stats import summary
from chiiki_stats.catalog import Reference, RegionInfo
from chiiki_stats.deps import (
    QUERY_LEVELS,
    Context,
    ContextDep,
    Problems,
    require_indicators,
    require_regions,
)
from chiiki_stats.formats import NO_MAP, TABULAR
from chiiki_stats.periods import YearSpan
from chiiki_stats.routers.common import (
    FormatQuery,
    FromQuery,
    LangQuery,
    LevelQuery,
    ParentQuery,
    ToQuery,
    YearQuery,
    params_of,
    stats_router,
)
from chiiki_stats.values import (
    Evaluator,
    cross_section,
    latest_year,
    latest_years,
    sources_in,
    yearly_values,
)

router = stats_router("statistics")
ALL_YEARS = YearSpan(1800, 2200)
IndicatorQuery = Annotated[str | None, Query(description="Indicator code (required)")]
RegionsQuery = Annotated[
    list[str] | None,
    Query(
        description=f"Region codes instead of a level, comma-separated (at most "
        f"{summary.MAX_REGIONS})"
    ),
]
RegionQuery = Annotated[str | None, Query(description="Region code (required)")]


def _scope(
    problems: Problems, level: str | None, parent: str | None
) -> tuple[str, str | None, list[str] | None]:
    chosen_level = problems.choice("level", level, QUERY_LEVELS, "prefecture")
    parent_code = problems.region_code("parent", parent)
    explicit = problems.list_of(
        "regions", problems.region_code, limit=summary.MAX_REGIONS, what="regions"
    )
    if explicit is not None and (level is not None or parent is not None):
        problems.add("regions", "give either regions or level/parent, not both")
    return chosen_level, parent_code, explicit


def _regions(
    reference: Reference, level: str, parent: str | None, explicit: list[str] | None
) -> tuple[list[RegionInfo], RegionInfo | None]:
    if explicit is not None:
        return require_regions(reference, explicit), None
    parent_region = require_regions(reference, [parent])[0] if parent else None
    return reference.regions.at_level(level, parent), parent_region


@router.get(
    "/api/statistics/summary",
    summary="Count, mean, median, std, quartiles, min/max with regions, CV over regions",
)
async def distribution(
    request: Request,
    ctx: ContextDep,
    indicator: IndicatorQuery = None,
    level: LevelQuery = None,
    parent: ParentQuery = None,
    regions: RegionsQuery = None,
    period: YearQuery = None,
    fmt: FormatQuery = None,
) -> Response:
    problems = Problems(request, {"indicator", "level", "parent", "regions", "period", "format"})
    code = problems.indicator_code("indicator", problems.required("indicator", indicator))
    chosen_level, parent_code, explicit = _scope(problems, level, parent)
    span = problems.years(period, None, None)
    output = problems.format(fmt, TABULAR)
    problems.done()
    assert code is not None
    require_indicators(ctx.reference, [code])
    chosen, parent_region = _regions(ctx.reference, chosen_level, parent_code, explicit)
    catalog = ctx.reference.catalog
    datasets = catalog.datasets_for([code])
    region_codes = [region.code for region in chosen]

    async def produce() -> summary.Distribution:
        evaluator = Evaluator(catalog, ctx.reference.regions)
        year = span.first if span else await latest_year(ctx.session, evaluator, code, region_codes)
        values = await cross_section(
            ctx.session, evaluator, [code], region_codes, year or 0, span.kinds if span else None
        )
        return summary.Distribution(
            catalog[code],
            year or 0,
            summary.scope_of(chosen_level, parent_region, chosen, explicit is not None),
            chosen,
            values[code],
            ctx.attribution(sources_in(values)),
            "ja",
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
        fmt=output,
        produce=produce,
    )


@router.get(
    "/api/statistics/correlation",
    summary="Pearson and Spearman correlation of two indicators across regions",
)
async def correlation(
    request: Request,
    ctx: ContextDep,
    x: Annotated[str | None, Query(description="First indicator (required)")] = None,
    y: Annotated[str | None, Query(description="Second indicator (required)")] = None,
    level: LevelQuery = None,
    parent: ParentQuery = None,
    regions: RegionsQuery = None,
    period: YearQuery = None,
    fmt: FormatQuery = None,
    lang: LangQuery = None,
) -> Response:
    allowed = {"x", "y", "level", "parent", "regions", "period", "format", "lang"}
    problems = Problems(request, allowed)
    x_code = problems.indicator_code("x", problems.required("x", x))
    y_code = problems.indicator_code("y", problems.required("y", y))
    chosen_level, parent_code, explicit = _scope(problems, level, parent)
    span = problems.years(period, None, None)
    output = problems.format(fmt, NO_MAP)
    language = problems.choice("lang", lang, ("ja", "en"), "ja")
    problems.done()
    assert x_code is not None
    assert y_code is not None
    require_indicators(ctx.reference, [x_code, y_code])
    chosen, parent_region = _regions(ctx.reference, chosen_level, parent_code, explicit)
    catalog = ctx.reference.catalog
    datasets = catalog.datasets_for([x_code, y_code])
    region_codes = [region.code for region in chosen]

    async def produce() -> summary.Correlation:
        evaluator = Evaluator(catalog, ctx.reference.regions)
        year = span.first if span else None
        if year is None:
            found = await latest_years(ctx.session, evaluator, [x_code, y_code], region_codes)
            year = min((value for value in found.values() if value is not None), default=0)
        values = await cross_section(
            ctx.session,
            evaluator,
            [x_code, y_code],
            region_codes,
            year,
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
        fmt=output,
        produce=produce,
    )


def _series_params(
    request: Request,
    indicator: str | None,
    region: str | None,
    first: str | None,
    last: str | None,
    fmt: str | None,
    lang: str | None,
    extra: set[str] = frozenset(),
) -> tuple[Problems, str | None, str | None, YearSpan, object, str]:
    problems = Problems(request, {"indicator", "region", "from", "to", "format", "lang", *extra})
    code = problems.indicator_code("indicator", problems.required("indicator", indicator))
    region_code = problems.region_code("region", problems.required("region", region))
    span = problems.years(None, first, last) or ALL_YEARS
    output = problems.format(fmt, NO_MAP)
    language = problems.choice("lang", lang, ("ja", "en"), "ja")
    return problems, code, region_code, span, output, language


def _series_target(ctx: Context, code: str, region_code: str) -> RegionInfo:
    """The region of a single-series request, after checking both codes exist (404 if not)."""
    require_indicators(ctx.reference, [code])
    (chosen,) = require_regions(ctx.reference, [region_code])
    return chosen


async def _region_series(
    ctx: Context, code: str, region_code: str, span: YearSpan
) -> tuple[dict, list]:
    """One indicator's yearly values for one region, with the attribution of their sources."""
    evaluator = Evaluator(ctx.reference.catalog, ctx.reference.regions)
    values = await yearly_values(ctx.session, evaluator, [code], [region_code], span)
    return values[code].get(region_code, {}), ctx.attribution(sources_in(values))


@router.get(
    "/api/statistics/growth",
    summary="Year-over-year growth of an indicator for a region, and its CAGR",
)
async def growth(
    request: Request,
    ctx: ContextDep,
    indicator: IndicatorQuery = None,
    region: RegionQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
    fmt: FormatQuery = None,
    lang: LangQuery = None,
) -> Response:
    problems, code, region_code, span, output, language = _series_params(
        request, indicator, region, first, last, fmt, lang
    )
    problems.done()
    assert code is not None
    assert region_code is not None
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
        fmt=output,
        produce=produce,
    )


@router.get(
    "/api/statistics/moving-average",
    summary="Moving average of an indicator for a region over a window of years",
)
async def moving_average(
    request: Request,
    ctx: ContextDep,
    indicator: IndicatorQuery = None,
    region: RegionQuery = None,
    window: Annotated[
        str | None, Query(description=f"Years per window, 2-{summary.MAX_WINDOW} (default 3)")
    ] = None,
    first: FromQuery = None,
    last: ToQuery = None,
    fmt: FormatQuery = None,
    lang: LangQuery = None,
) -> Response:
    problems, code, region_code, span, output, language = _series_params(
        request, indicator, region, first, last, fmt, lang, {"window"}
    )
    size = problems.integer("window", window, 3, 2, summary.MAX_WINDOW)
    problems.done()
    assert code is not None
    assert region_code is not None
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
        fmt=output,
        produce=produce,
    )
