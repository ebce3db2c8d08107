"""``/api/kpi``: the dashboard's summary cards for one region."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from chiiki_stats import schemas
from chiiki_stats.deps import ContextDep, require_indicators, require_regions
from chiiki_stats.formats import TABULAR
from chiiki_stats.params import KpiQuery
from chiiki_stats.routers.common import FOUND, params_of, stats_router
from chiiki_stats.schemas import answer
from chiiki_stats.services import kpi

router = stats_router("kpi")


@router.get(
    "/api/kpi",
    responses=answer(schemas.Kpis, *TABULAR) | FOUND,
    summary="Headline indicators of a region: latest value, changes, rank, sparkline",
)
async def kpis(ctx: ContextDep, params: Annotated[KpiQuery, Query()]) -> Response:
    code, points, lang = params.region, params.sparkline, params.lang
    (chosen,) = require_regions(ctx.reference, [code])
    codes = require_indicators(ctx.reference, params.indicators or list(kpi.HEADLINE))
    datasets = ctx.reference.catalog.datasets_for(codes)

    async def produce() -> kpi.Kpis:
        return await kpi.kpis(
            ctx.session,
            ctx.reference,
            chosen,
            codes,
            points,
            ctx.notes,
            ctx.attribution,
            ctx.datasets,
            lang,
        )

    return await ctx.respond(
        "kpi",
        params_of(region=code, indicators=codes, sparkline=points, lang=lang),
        datasets=datasets,
        query=params,
        produce=produce,
    )
