"""``/api/datasets``: the e-Stat tables received from ingest and their cells."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Query, Request, Response

from chiiki_shared.errors import NotFound, UnprocessableInput
from chiiki_stats import datasets, repository
from chiiki_stats.deps import ContextDep, Problems
from chiiki_stats.formats import TABULAR, Format
from chiiki_stats.periods import InvalidPeriod, Period
from chiiki_stats.routers.common import FormatQuery, params_of, stats_router

router = stats_router("datasets")
DATASET_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,31}")
CLASS_CODE = re.compile(r"[0-9A-Za-z._-]{1,32}")
TIME_CODE = re.compile(r"[0-9]{10}")
MAX_FILTER_CODES = 500


def _period(value: str) -> Period | None:
    try:
        return Period.parse(value)
    except InvalidPeriod:
        return None


def _dataset_id(value: str) -> str:
    if not DATASET_ID.fullmatch(value):
        error = {
            "field": "path.stats_data_id",
            "message": f"{value!r} is not a statsDataId",
            "type": "value_error",
        }
        raise UnprocessableInput("Invalid value for: path.stats_data_id", extra={"errors": [error]})
    return value


def _not_found(stats_data_id: str) -> NotFound:
    return NotFound(
        f"No dataset {stats_data_id}",
        extra={"resource": "dataset", "missing": [stats_data_id]},
    )


@router.get("/api/datasets", summary="Every dataset: metadata, version, dimensions, attribution")
async def list_datasets(request: Request, ctx: ContextDep, fmt: FormatQuery = None) -> Response:
    problems = Problems(request, {"format"})
    output = problems.format(fmt, TABULAR)
    problems.done()
    return await ctx.respond(
        "datasets.list",
        {},
        datasets=list(ctx.datasets),
        fmt=output,
        produce=lambda: datasets.list_datasets(ctx.session),
    )


@router.get(
    "/api/datasets/{stats_data_id}",
    summary="One dataset: metadata, every dimension with its items, notes, versions",
)
async def get_dataset(
    request: Request, stats_data_id: str, ctx: ContextDep, fmt: FormatQuery = None
) -> Response:
    problems = Problems(request, {"format"})
    output = problems.format(fmt, {Format.JSON})
    _dataset_id(stats_data_id)
    problems.done()
    if stats_data_id not in ctx.datasets:
        raise _not_found(stats_data_id)

    async def produce() -> datasets.DatasetDetail:
        dataset = await repository.get_dataset(ctx.session, stats_data_id)
        assert dataset is not None
        return await datasets.dataset_detail(ctx.session, dataset, ctx.reference.catalog)

    return await ctx.respond(
        "datasets.get",
        {"id": stats_data_id},
        datasets=[stats_data_id],
        fmt=output,
        produce=produce,
    )


@router.get(
    "/api/datasets/{stats_data_id}/observations",
    summary="A dataset's cells with their e-Stat codes, filtered and cursor-paginated",
    description="Filters: `area`, `time` (e-Stat codes or 2020, FY2020, 2020Q1, 2020-03) and any "
    "of the dataset's dimension ids (`tab`, `cat01`...), each a comma-separated list of codes. "
    f"Rows come in (series, area, time) order, at most {datasets.MAX_PAGE} per page.",
)
async def observations(
    request: Request,
    stats_data_id: str,
    ctx: ContextDep,
    area: Annotated[list[str] | None, Query(description="Area codes")] = None,
    time: Annotated[list[str] | None, Query(description="Time codes or periods")] = None,
    limit: Annotated[
        str | None,
        Query(
            description=f"Rows per page, 1-{datasets.MAX_PAGE} (default {datasets.DEFAULT_PAGE})"
        ),
    ] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    fmt: FormatQuery = None,
) -> Response:
    allowed = {"area", "time", "limit", "cursor", "format", *datasets.SERIES_DIMENSIONS}
    problems = Problems(request, allowed)
    _dataset_id(stats_data_id)

    def code(name: str, value: str) -> str | None:
        if not CLASS_CODE.fullmatch(value):
            problems.add(name, f"{value!r} is not a classification code")
            return None
        return value

    def period(name: str, value: str) -> str | None:
        try:
            Period.parse(value)
        except InvalidPeriod as exc:
            if TIME_CODE.fullmatch(value):
                return value  # an e-Stat code this service does not interpret: matched as is
            problems.add(name, str(exc), "period")
            return None
        return value

    areas = problems.list_of("area", code, limit=MAX_FILTER_CODES, what="codes")
    times = problems.list_of("time", period, limit=MAX_FILTER_CODES, what="codes")
    filters = {}
    for dimension in datasets.SERIES_DIMENSIONS:
        codes = problems.list_of(dimension, code, limit=MAX_FILTER_CODES, what="codes")
        if codes is not None:
            filters[dimension] = codes
    size = problems.integer("limit", limit, datasets.DEFAULT_PAGE, 1, datasets.MAX_PAGE)
    after = None
    if cursor is not None:
        after = datasets.decode_cursor(cursor)
        if after is None:
            problems.add("cursor", "not a cursor this endpoint issued")
    output = problems.format(fmt, TABULAR)
    problems.done()
    if stats_data_id not in ctx.datasets:
        raise _not_found(stats_data_id)
    dimension_ids = [
        dimension["id"]
        for dimension in (await repository.dimensions(ctx.session, [stats_data_id]))[stats_data_id]
    ]
    absent = [dimension for dimension in filters if dimension not in dimension_ids]
    for dimension in absent:
        problems.add(
            dimension,
            f"dataset {stats_data_id} has no dimension {dimension} "
            f"(it has: {', '.join(dimension_ids)})",
        )
    problems.done()
    query = datasets.ObservationQuery(
        dimension_filters=filters,
        areas=areas,
        periods=[_period(value) for value in times if _period(value)]
        if times is not None
        else None,
        time_codes=[value for value in times or [] if _period(value) is None],
        after=after,
        limit=size,
    )

    async def produce() -> datasets.ObservationPage:
        dataset = await repository.get_dataset(ctx.session, stats_data_id)
        assert dataset is not None
        return await datasets.observations(ctx.session, dataset, dimension_ids, query)

    return await ctx.respond(
        "datasets.observations",
        params_of(
            id=stats_data_id,
            filters=filters,
            area=areas,
            time=[str(period) for period in query.periods] if times is not None else None,
            time_codes=query.time_codes,
            limit=size,
            cursor=cursor,
        ),
        datasets=[stats_data_id],
        fmt=output,
        produce=produce,
    )
