"""``/api/population``: a region's population time series, and cross-sections with ranks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response

from chiiki_stats import population, pyramid
from chiiki_stats.deps import (
    QUERY_LEVELS,
    ContextDep,
    Problems,
    require_indicators,
    require_regions,
)
from chiiki_stats.formats import ALL_FORMATS, NO_MAP, Format
from chiiki_stats.periods import YearSpan
from chiiki_stats.routers.common import (
    FormatQuery,
    FromQuery,
    LangQuery,
    LevelQuery,
    ParentQuery,
    ToQuery,
    YearQuery,
    check_map_format,
    params_of,
    path_region,
    stats_router,
)
from chiiki_stats.values import (
    Evaluator,
    cross_section,
    latest_year,
    sources_in,
    yearly_values,
)

router = stats_router("population")
IndicatorsQuery = Annotated[
    list[str] | None,
    Query(
        description="Comma-separated subset of: "
        + ", ".join(population.POPULATION)
        + " (default: all)"
    ),
]
ALL_YEARS = YearSpan(1800, 2200)
CHARTJS_ONE_YEAR = "chartjs draws one year's pyramid: give period (json and csv take a range)"


def _indicators(problems: Problems) -> list[str] | None:
    requested = problems.list_of(
        "indicators", problems.indicator_code, limit=len(population.POPULATION), what="indicators"
    )
    if requested is None:
        return None
    outside = [code for code in requested if code not in population.POPULATION]
    if outside:
        problems.add("indicators", f"not population indicators: {', '.join(outside)}")
        return None
    return requested


@router.get(
    "/api/population/{code}",
    summary="A region's population as time series: total, sex, age, density, ageing, "
    "births, deaths, migration",
)
async def population_series(
    request: Request,
    code: Annotated[str, Depends(path_region)],
    ctx: ContextDep,
    period: YearQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
    indicators: Annotated[
        list[str] | None, Query(description="Subset of the population indicators")
    ] = None,
    fmt: FormatQuery = None,
    lang: LangQuery = None,
) -> Response:
    problems = Problems(request, {"period", "from", "to", "indicators", "format", "lang"})
    span = problems.years(period, first, last) or ALL_YEARS
    requested = _indicators(problems)
    output = problems.format(fmt, NO_MAP)
    language = problems.choice("lang", lang, ("ja", "en"), "ja")
    problems.done()
    (region,) = require_regions(ctx.reference, [code])
    catalog = ctx.reference.catalog
    chosen = population.population_codes(catalog, requested)
    codes = [indicator.code for indicator in chosen]

    async def produce() -> population.PopulationSeries:
        evaluator = Evaluator(catalog, ctx.reference.regions)
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
        fmt=output,
        produce=produce,
    )


@router.get(
    "/api/population",
    summary="Cross-section: every region of a level in one year, with ranks (1 = largest)",
)
async def population_cross_section(
    request: Request,
    ctx: ContextDep,
    level: LevelQuery = None,
    parent: ParentQuery = None,
    period: YearQuery = None,
    indicators: IndicatorsQuery = None,
    fmt: FormatQuery = None,
    lang: LangQuery = None,
) -> Response:
    problems = Problems(request, {"level", "parent", "period", "indicators", "format", "lang"})
    chosen_level = problems.choice("level", level, QUERY_LEVELS, "prefecture")
    parent_code = problems.region_code("parent", parent)
    span = problems.years(period, None, None)
    requested = _indicators(problems)
    output = problems.format(fmt, ALL_FORMATS)
    check_map_format(problems, output, chosen_level)
    language = problems.choice("lang", lang, ("ja", "en"), "ja")
    problems.done()
    reference = ctx.reference
    parent_region = require_regions(reference, [parent_code])[0] if parent_code else None
    regions = reference.regions.at_level(chosen_level, parent_code)
    catalog = reference.catalog
    chosen = population.population_codes(catalog, requested)
    require_indicators(reference, [indicator.code for indicator in chosen])
    codes = [indicator.code for indicator in chosen]
    region_codes = [region.code for region in regions]
    evaluator = Evaluator(catalog, reference.regions)

    async def produce() -> population.CrossSection:
        year, kinds = (span.first, span.kinds) if span else (None, None)
        if year is None:
            year = await latest_year(ctx.session, evaluator, codes[0], region_codes)
        values = await cross_section(ctx.session, evaluator, codes, region_codes, year or 0, kinds)
        return population.CrossSection(
            chosen_level,
            year,
            parent_region,
            regions,
            chosen,
            values,
            ctx.notes,
            ctx.attribution(sources_in(values)),
            language,
        )

    return await ctx.respond(
        "population.cross_section",
        params_of(
            level=chosen_level,
            parent=parent_code,
            year=span.first if span else "latest",
            kinds=span.kinds if span else None,
            indicators=codes,
            lang=language,
        ),
        datasets=catalog.datasets_for(codes),
        fmt=output,
        produce=produce,
    )


@router.get(
    "/api/population/{code}/pyramid",
    summary="Population by sex and five-year age group (a pyramid), one frame per census year",
)
async def population_pyramid(
    request: Request,
    code: Annotated[str, Depends(path_region)],
    ctx: ContextDep,
    period: YearQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
    measure: Annotated[
        str | None,
        Query(description="chartjs bars: count (default) or share (% of the year's total)"),
    ] = None,
    fmt: FormatQuery = None,
    lang: LangQuery = None,
) -> Response:
    problems = Problems(request, {"period", "from", "to", "measure", "format", "lang"})
    span = problems.years(period, first, last) or ALL_YEARS
    chosen_measure = problems.choice("measure", measure, pyramid.MEASURES, "count")
    output = problems.format(fmt, NO_MAP)
    language = problems.choice("lang", lang, ("ja", "en"), "ja")
    if output is Format.CHARTJS and span.first != span.last:
        problems.add("period", CHARTJS_ONE_YEAR)
    problems.done()
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
        fmt=output,
        produce=produce,
    )
