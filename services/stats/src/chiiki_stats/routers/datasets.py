"""``/api/datasets``: the e-Stat tables received from ingest and their cells."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response

from chiiki_shared.openapi import problem_responses
from chiiki_stats import schemas
from chiiki_stats.deps import ContextDep
from chiiki_stats.formats import TABULAR
from chiiki_stats.params import DatasetId, DatasetListQuery, JsonQuery, ObservationQuery, reject
from chiiki_stats.routers.common import linked, params_of, stats_router
from chiiki_stats.schemas import answer
from chiiki_stats.services import datasets

router = stats_router("datasets")
DatasetPath = Annotated[DatasetId, Path(description="The e-Stat statsDataId (or a local id)")]


@router.get(
    "/api/datasets",
    responses=answer(schemas.DatasetList, *TABULAR),
    summary="Every dataset: metadata, version, dimensions, attribution",
)
async def list_datasets(ctx: ContextDep, params: Annotated[DatasetListQuery, Query()]) -> Response:
    after = datasets.after_id(params.cursor) if params.cursor else None

    async def produce() -> datasets.DatasetList:
        return linked(ctx.request, await datasets.list_datasets(ctx.session, after, params.limit))

    return await ctx.respond(
        "datasets.list",
        params_of(after=after, limit=params.limit),
        datasets=list(ctx.datasets),
        query=params,
        produce=produce,
    )


@router.get(
    "/api/datasets/{stats_data_id}",
    responses=answer(schemas.DatasetDetail),
    summary="One dataset: metadata, every dimension with its items, notes, versions",
)
async def get_dataset(
    stats_data_id: DatasetPath, ctx: ContextDep, params: Annotated[JsonQuery, Query()]
) -> Response:
    if stats_data_id not in ctx.datasets:
        raise datasets.not_found(stats_data_id)

    async def produce() -> datasets.DatasetDetail:
        return await datasets.dataset_detail(ctx.session, stats_data_id, ctx.reference.catalog)

    return await ctx.respond(
        "datasets.get",
        {"id": stats_data_id},
        datasets=[stats_data_id],
        query=params,
        produce=produce,
    )


@router.get(
    "/api/datasets/{stats_data_id}/observations",
    responses=answer(schemas.ObservationPage, *TABULAR) | problem_responses(409),
    summary="A dataset's cells with their e-Stat codes, filtered and cursor-paginated",
    description="Filters: `area`, `time` (e-Stat codes or 2020, FY2020, 2020Q1, 2020-03) and any "
    "of the dataset's dimension ids (`tab`, `cat01`...), each a comma-separated list of codes. "
    f"Rows come in (series, area, time) order, at most {datasets.MAX_PAGE} per page; `next` "
    '(and a `Link: <next>; rel="next"` header, in every format) gives the next page. The '
    "dataset's version, dimensions, notes and attribution are `/api/datasets/{stats_data_id}`'s; "
    "a cursor issued before a new version is a 409 `cursor-expired`.",
)
async def observations(
    stats_data_id: DatasetPath,
    ctx: ContextDep,
    params: Annotated[ObservationQuery, Query()],
) -> Response:
    if stats_data_id not in ctx.datasets:
        raise datasets.not_found(stats_data_id)
    dimension_ids = await datasets.dimension_ids(await ctx.snapshot(), stats_data_id)
    filters = params.filters
    absent = [dimension for dimension in filters if dimension not in dimension_ids]
    if absent:
        reject(
            *(
                (
                    "query",
                    dimension,
                    f"dataset {stats_data_id} has no dimension {dimension} "
                    f"(it has: {', '.join(dimension_ids)})",
                )
                for dimension in absent
            )
        )
    query = params.observation_query()
    times = params.time

    async def produce() -> datasets.ObservationPage:
        page = await datasets.observations(ctx.session, stats_data_id, dimension_ids, query)
        return linked(ctx.request, page)

    return await ctx.respond(
        "datasets.observations",
        params_of(
            id=stats_data_id,
            filters=filters,
            area=params.area,
            time=[str(period) for period in query.periods or []] if times is not None else None,
            time_codes=query.time_codes,
            limit=params.limit,
            cursor=params.cursor,
        ),
        datasets=[stats_data_id],
        query=params,
        produce=produce,
    )
