"""Cross-sections: indicators for every region of a level in one year, with ranks, in any format
(maps included). Answered alike for the population indicators (``/api/population``) and for any
one indicator of the catalog (``/api/indicators/{code}/cross-section``)."""

from __future__ import annotations

from fastapi import Response

from chiiki_stats.catalog import IndicatorDef
from chiiki_stats.deps import Context, require_indicators, require_regions
from chiiki_stats.params import RankedMapQuery
from chiiki_stats.routers.common import params_of
from chiiki_stats.services import population
from chiiki_stats.services.latest import latest_years_of
from chiiki_stats.services.sections import cross_section_of
from chiiki_stats.values import Evaluator, sources_in


async def respond(
    ctx: Context, params: RankedMapQuery, chosen: list[IndicatorDef], route: str
) -> Response:
    """The cross-section of ``chosen`` that ``params`` asks for (its year: the latest year the
    level has a value of the first indicator, unless given)."""
    chosen_level, parent_code, span = params.level, params.parent, params.span
    language = params.lang
    reference = ctx.reference
    parent_region = require_regions(reference, [parent_code])[0] if parent_code else None
    regions = reference.regions.at_level(chosen_level, parent_code)
    codes = [indicator.code for indicator in chosen]
    require_indicators(reference, codes)
    region_codes = [region.code for region in regions]

    async def produce() -> population.CrossSection:
        evaluator = Evaluator(reference.catalog, reference.regions, ctx.datasets)
        year, kinds = (span.first, span.kinds) if span else (None, None)
        if year is None:
            latest = await latest_years_of(
                ctx.session, evaluator, codes[:1], region_codes, ctx.datasets
            )
            year = latest[codes[0]]
        values = await cross_section_of(
            ctx.session, evaluator, codes, region_codes, year or 0, ctx.datasets, kinds
        )
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
            params.sort,
            params.top,
        )

    return await ctx.respond(
        route,
        params_of(
            level=chosen_level,
            parent=parent_code,
            year=span.first if span else "latest",
            kinds=span.kinds if span else None,
            indicators=codes,
            lang=language,
            sort=params.sort,
            top=params.top,
        ),
        datasets=reference.catalog.datasets_for(codes),
        query=params,
        produce=produce,
    )
