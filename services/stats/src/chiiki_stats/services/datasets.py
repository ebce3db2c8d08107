"""Datasets as received from ingest, and their observations cell by cell with e-Stat's codes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.errors import Conflict, NotFound, UnprocessableInput
from chiiki_shared.pagination import decode_cursor
from chiiki_stats import repository
from chiiki_stats.catalog import Catalog
from chiiki_stats.formats import Paged, Result, Table
from chiiki_stats.models import Dataset
from chiiki_stats.periods import Period

MAX_PAGE = 10_000
DEFAULT_PAGE = 1_000
DEFAULT_LIST_PAGE = 100
MAX_LIST_PAGE = 500
SERIES_DIMENSIONS = ("tab", *(f"cat{number:02d}" for number in range(1, 16)))
ESTAT_API_NOTICE = (
    "このサービスは、政府統計総合窓口(e-Stat)のAPI機能を使用していますが、"
    "サービスの内容は国によって保証されたものではありません。"
)


def exact(value: Decimal | None) -> int | float | None:
    """A stored value as JSON shows it: integers stay integers, decimals keep their digits."""
    if value is None:
        return None
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def describe(dataset: Dataset, dimensions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": dataset.id,
        "title": dataset.title,
        "statistics_name": dataset.statistics_name,
        "organisation": dataset.organisation,
        "survey_date": dataset.survey_date,
        "open_date": dataset.open_date,
        "updated_date": dataset.updated_date,
        "version": dataset.version,
        "content_hash": dataset.content_hash,
        "cell_count": dataset.cell_count,
        "applied_at": dataset.applied_at.isoformat().replace("+00:00", "Z"),
        "attribution": dataset.attribution,
        "dimensions": dimensions,
        "notes": dataset.notes,
    }


@dataclass
class DatasetList(Paged):
    items: list[dict[str, Any]]
    name = "datasets"

    def json(self) -> dict[str, Any]:
        return {"items": self.items, "next": self.next}

    def table(self) -> Table:
        columns = ["id", "title", "statistics_name", "organisation", "survey_date"]
        columns += ["open_date", "updated_date", "version", "cell_count", "applied_at"]
        columns += ["attribution"]
        return Table(columns, [[item[column] for column in columns] for item in self.items])


def after_id(cursor: str) -> str | None:
    """The id of the last dataset a cursor of this list names."""
    try:
        (dataset_id,) = decode_cursor(cursor, length=1)
    except UnprocessableInput:
        return None
    return dataset_id if isinstance(dataset_id, str) else None


async def list_datasets(session: AsyncSession, after: str | None, limit: int) -> DatasetList:
    """A page of the datasets by id; each carries the notice e-Stat's terms ask for."""
    datasets = await repository.list_datasets(session, after=after, limit=limit + 1)
    page = datasets[:limit]
    dimensions = await repository.dimensions(session, [dataset.id for dataset in page])
    items = [{**describe(d, dimensions.get(d.id, [])), "notice": ESTAT_API_NOTICE} for d in page]
    return DatasetList(items, next_key=[page[-1].id] if len(datasets) > limit else None)


@dataclass
class DatasetDetail(Result):
    document: dict[str, Any]
    name = "dataset"

    def json(self) -> dict[str, Any]:
        return self.document


def not_found(stats_data_id: str) -> NotFound:
    return NotFound(
        f"No dataset {stats_data_id}",
        extra={"resource": "dataset", "missing": [stats_data_id]},
    )


async def _dataset(session: AsyncSession, stats_data_id: str) -> Dataset:
    dataset = await repository.get_dataset(session, stats_data_id)
    if dataset is None:
        raise not_found(stats_data_id)
    return dataset


async def dimension_ids(session: AsyncSession, stats_data_id: str) -> list[str]:
    """The ids of a dataset's dimensions (``tab``, ``cat01``..., ``area``, ``time``)."""
    dimensions = await repository.dimensions(session, [stats_data_id])
    return [dimension["id"] for dimension in dimensions.get(stats_data_id, [])]


async def dataset_detail(
    session: AsyncSession, stats_data_id: str, catalog: Catalog
) -> DatasetDetail:
    dataset = await _dataset(session, stats_data_id)
    dimensions = (await repository.dimensions(session, [dataset.id])).get(dataset.id, [])
    items = await repository.dimension_items(session, dataset.id)
    for dimension in dimensions:
        dimension["items"] = items.get(dimension["id"], [])
    return DatasetDetail(
        {
            **describe(dataset, dimensions),
            "versions": await repository.dataset_versions(session, dataset.id),
            "indicators": catalog.indicators_using(dataset.id),
            "notice": ESTAT_API_NOTICE,
        }
    )


# -- observations --------------------------------------------------------------------------------


def after_cell(cursor: str) -> tuple[int, tuple[int, str, str]] | None:
    """The dataset version and the (series, area, time) of the last cell a cursor names."""
    try:
        version, series_id, area, time = decode_cursor(cursor, length=4)
    except UnprocessableInput:
        return None
    if not all(type(part) is int for part in (version, series_id)):
        return None
    if not all(isinstance(part, str) for part in (area, time)):
        return None
    return version, (series_id, area, time)


@dataclass(frozen=True)
class ObservationQuery:
    dimension_filters: dict[str, list[str]]
    areas: list[str] | None
    periods: list[Period] | None
    time_codes: list[str]
    after: tuple[int, tuple[int, str, str]] | None
    limit: int


@dataclass
class ObservationPage(Paged):
    """A page of cells; the dataset's version, dimensions, notes and attribution are its own
    document's (``/api/datasets/{id}``), and a cursor holds the version it was issued on."""

    dataset: Dataset
    dimensions: list[str]
    rows: list[dict[str, Any]]
    name = "observations"

    def json(self) -> dict[str, Any]:
        return {"items": self.rows, "next": self.next}

    def credits(self) -> list[str]:
        return [self.dataset.attribution] if self.dataset.attribution else []

    def table(self) -> Table:
        columns = [*self.dimensions, "value", "value_text", "mark", "unit"]
        return Table(columns, [[row.get(column) for column in columns] for row in self.rows])


async def observations(
    session: AsyncSession, stats_data_id: str, dimension_ids: Sequence[str], query: ObservationQuery
) -> ObservationPage:
    dataset = await _dataset(session, stats_data_id)
    if query.after is not None and query.after[0] != dataset.version:
        raise Conflict(
            f"Dataset {dataset.id} changed to version {dataset.version} since this cursor was "
            "issued; start again without a cursor.",
            code="cursor-expired",
            extra={"version": dataset.version},
        )
    series = await repository.series_of(session, dataset.id, query.dimension_filters)
    rows = (
        await repository.observation_page(
            session,
            list(series),
            areas=query.areas,
            periods=query.periods,
            time_codes=query.time_codes,
            after=query.after[1] if query.after else None,
            limit=query.limit + 1,
        )
        if series
        else []
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    items = []
    for row in rows:
        key, series_unit = series[row.series_id]
        item: dict[str, Any] = {}
        for dimension in dimension_ids:
            if dimension == "area":
                item["area"] = row.region_code
            elif dimension == "time":
                item["time"] = row.time_code
            else:
                item[dimension] = key.get(dimension)
        item["value"] = exact(row.value)
        item["value_text"] = row.value_text
        item["mark"] = row.mark
        item["unit"] = row.unit or series_unit
        items.append(item)
    after = None
    if more and rows:
        last = rows[-1]
        after = [dataset.version, last.series_id, last.region_code, last.time_code]
    return ObservationPage(dataset, list(dimension_ids), items, next_key=after)
