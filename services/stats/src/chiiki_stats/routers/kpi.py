"""``/api/kpi``: the dashboard's summary cards for one region."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from chiiki_stats import kpi
from chiiki_stats.deps import (
    QUERY_LEVELS,
    ContextDep,
    Problems,
    require_indicators,
    require_regions,
)
from chiiki_stats.formats import TABULAR
from chiiki_stats.periods import YearSpan
from chiiki_stats.routers.common import FormatQuery, params_of, stats_router
from chiiki_stats.values import Evaluator, cross_section, ranks, sources_in, yearly_values

router = stats_router("kpi")
ALL_YEARS = YearSpan(1800, 2200)


@router.get(
    "/api/kpi",
    summary="Headline indicators of a region: latest value, changes, rank, sparkline",
)
async def kpis(
    request: Request,
    ctx: ContextDep,
    region: Annotated[str | None, Query(description="Region code (required)")] = None,
    indicators: Annotated[
        list[str] | None,
        Query(
            description=f"Indicator codes (at most {kpi.MAX_INDICATORS}; default: "
            + ", ".join(kpi.HEADLINE)
            + ")"
        ),
    ] = None,
    sparkline: Annotated[
        str | None,
        Query(description=f"Points per sparkline, 2-{kpi.MAX_SPARKLINE_POINTS} (default 10)"),
    ] = None,
    fmt: FormatQuery = None,
) -> Response:
    problems = Problems(request, {"region", "indicators", "sparkline", "format"})
    code = problems.region_code("region", problems.required("region", region))
    codes = problems.list_of(
        "indicators", problems.indicator_code, limit=kpi.MAX_INDICATORS, what="indicators"
    )
    points = problems.integer(
        "sparkline", sparkline, kpi.SPARKLINE_POINTS, 2, kpi.MAX_SPARKLINE_POINTS
    )
    output = problems.format(fmt, TABULAR)
    problems.done()
    assert code is not None
    (chosen,) = require_regions(ctx.reference, [code])
    codes = require_indicators(ctx.reference, codes or list(kpi.HEADLINE))
    catalog = ctx.reference.catalog
    datasets = catalog.datasets_for(codes)

    async def produce() -> kpi.Kpis:
        evaluator = Evaluator(catalog, ctx.reference.regions)
        values = await yearly_values(ctx.session, evaluator, codes, [code], ALL_YEARS)
        peers = (
            [region.code for region in ctx.reference.regions.at_level(chosen.level)]
            if chosen.level in QUERY_LEVELS
            else []
        )
        cards = []
        for indicator in codes:
            series = values[indicator].get(code, {})
            card = kpi.Card(catalog[indicator], series, None, 0, points)
            latest = card.latest
            if latest is not None and peers:
                # The rank among the region's level in the same kind of year as its latest value.
                kinds = frozenset({latest.period.kind})
                section = await cross_section(
                    ctx.session, evaluator, [indicator], peers, latest.period.year, kinds
                )
                ranked = ranks({r: c.value if c else None for r, c in section[indicator].items()})
                card.rank = ranked.get(code)
                card.ranked = sum(1 for value in ranked.values() if value is not None)
            cards.append(card)
        return kpi.Kpis(chosen, cards, ctx.notes, ctx.attribution(sources_in(values)))

    return await ctx.respond(
        "kpi",
        params_of(region=code, indicators=codes, sparkline=points),
        datasets=datasets,
        fmt=output,
        produce=produce,
    )
