"""``/api/comparison``: several regions x several indicators, with the national value."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from chiiki_stats import comparison
from chiiki_stats.catalog import NATION
from chiiki_stats.deps import ContextDep, Problems, require_indicators, require_regions
from chiiki_stats.formats import NO_MAP
from chiiki_stats.periods import YearSpan
from chiiki_stats.routers.common import (
    FormatQuery,
    FromQuery,
    LangQuery,
    ToQuery,
    YearQuery,
    params_of,
    stats_router,
)
from chiiki_stats.values import Evaluator, sources_in, yearly_values

router = stats_router("comparison")
ALL_YEARS = YearSpan(1800, 2200)


@router.get(
    "/api/comparison",
    summary="Regions x indicators for a year or a range, with the nation alongside",
)
async def compare(
    request: Request,
    ctx: ContextDep,
    regions: Annotated[
        list[str] | None,
        Query(description=f"Region codes, comma-separated (at most {comparison.MAX_REGIONS})"),
    ] = None,
    indicators: Annotated[
        list[str] | None,
        Query(
            description=f"Indicator codes, comma-separated (at most {comparison.MAX_INDICATORS})"
        ),
    ] = None,
    period: YearQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
    national: Annotated[
        str | None, Query(description="Add the nation's values: true (default) or false")
    ] = None,
    fmt: FormatQuery = None,
    lang: LangQuery = None,
) -> Response:
    allowed = {"regions", "indicators", "period", "from", "to", "national", "format", "lang"}
    problems = Problems(request, allowed)
    region_codes = problems.list_of(
        "regions", problems.region_code, limit=comparison.MAX_REGIONS, what="regions"
    )
    codes = problems.list_of(
        "indicators",
        problems.indicator_code,
        limit=comparison.MAX_INDICATORS,
        what="indicators",
    )
    if regions is None:
        problems.required("regions", None)
    if indicators is None:
        problems.required("indicators", None)
    span = problems.years(period, first, last)
    with_nation = problems.choice("national", national, ("true", "false"), "true") == "true"
    output = problems.format(fmt, NO_MAP)
    language = problems.choice("lang", lang, ("ja", "en"), "ja")
    problems.done()
    assert region_codes is not None
    assert codes is not None
    chosen_regions = require_regions(ctx.reference, region_codes)
    require_indicators(ctx.reference, codes)
    catalog = ctx.reference.catalog
    nation = ctx.reference.regions[NATION] if with_nation and NATION not in region_codes else None
    lookup = [*region_codes, *([NATION] if nation else [])]
    datasets = catalog.datasets_for(codes)

    async def produce() -> comparison.Comparison:
        evaluator = Evaluator(catalog, ctx.reference.regions)
        values = await yearly_values(ctx.session, evaluator, codes, lookup, span or ALL_YEARS)
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
        fmt=output,
        produce=produce,
    )
