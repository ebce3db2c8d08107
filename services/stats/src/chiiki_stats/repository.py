"""Every SQL query the read side of the stats service runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, and_, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_stats.models import (
    Dataset,
    DatasetVersion,
    Dimension,
    DimensionItem,
    IndicatorSource,
    Observation,
    Series,
)
from chiiki_stats.periods import Period, YearSpan


@dataclass(frozen=True, slots=True)
class DatasetState:
    id: str
    version: int
    content_hash: str
    title: str
    attribution: str
    notes: dict[str, str]


async def dataset_states(session: AsyncSession) -> dict[str, DatasetState]:
    """Every dataset's current version, attribution and mark meanings: read at the start of each
    request, in its snapshot, so the cache key and the data agree."""
    rows = await session.execute(
        select(
            Dataset.id,
            Dataset.version,
            Dataset.content_hash,
            Dataset.title,
            Dataset.attribution,
            Dataset.notes,
        )
    )
    return {
        row.id: DatasetState(
            row.id,
            row.version,
            row.content_hash,
            row.title,
            row.attribution,
            {note["mark"]: note["meaning"] for note in row.notes},
        )
        for row in rows
    }


# Asked straight on the driver's connection (whose search_path is the service's schema): through
# the ORM the same check cost about 1.5 ms more CPU per computed answer (docs/performance.md,
# "Cheap misses").
_VERSIONS_SQL = "SELECT id, version, content_hash FROM datasets"


async def current_versions(session: AsyncSession) -> dict[str, tuple[int, str]]:
    """Every dataset's version number and content hash, in the session's transaction. A
    dataset's title, attribution and notes change only with its version (``consumer``), so
    these two say whether ``dataset_states`` would read anything new."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:
        raise RuntimeError("the session's connection is closed")
    rows = await driver.fetch(_VERSIONS_SQL)
    return {row["id"]: (row["version"], row["content_hash"]) for row in rows}


async def indicator_rows(
    session: AsyncSession, codes: Sequence[str], regions: Sequence[str], span: YearSpan
) -> Sequence[Row[*tuple[Any, ...]]]:
    """The published values of the direct sources of ``codes`` for ``regions`` in ``span``."""
    # On the session's connection, not the session: the same rows without the ORM's result
    # processing per row (a municipal indicator reads tens of thousands).
    connection = await session.connection()
    return (await connection.execute(_indicator_rows(codes, regions, span))).all()


async def indicator_row_parts(
    session: AsyncSession,
    codes: Sequence[str],
    regions: Sequence[str],
    span: YearSpan,
    size: int,
) -> AsyncIterator[Sequence[Row[*tuple[Any, ...]]]]:
    """``indicator_rows`` ``size`` rows at a time from a server-side cursor: a process that
    keeps what it reads compactly does not also peak at every row of a level at once (the
    freed rows' memory was not given back, 20 MB for the municipal KPI rankings)."""
    connection = await session.connection()
    async with connection.stream(_indicator_rows(codes, regions, span)) as result:
        async for part in result.partitions(size):
            yield part


def _indicator_rows(
    codes: Sequence[str], regions: Sequence[str], span: YearSpan
) -> Select[*tuple[Any, ...]]:
    return (
        select(
            IndicatorSource.indicator_code,
            IndicatorSource.priority,
            IndicatorSource.scale,
            IndicatorSource.dataset_id,
            Observation.region_code,
            Observation.period_kind,
            Observation.period_year,
            Observation.period_sub,
            Observation.time_code,
            Observation.value,
            Observation.mark,
        )
        .join(
            Series,
            and_(
                Series.dataset_id == IndicatorSource.dataset_id,
                Series.key.contains(IndicatorSource.series),
            ),
        )
        .join(Observation, Observation.series_id == Series.id)
        .where(
            IndicatorSource.indicator_code.in_(codes),
            Observation.region_code.in_(regions),
            Observation.period_year.between(span.first, span.last),
            Observation.period_kind.in_(sorted(span.kinds)),
        )
    )


async def year_bounds(
    session: AsyncSession, codes: Sequence[str], regions: Sequence[str]
) -> tuple[int | None, int | None]:
    """The first and last year any direct source of ``codes`` has a value for ``regions``."""
    statement = (
        select(func.min(Observation.period_year), func.max(Observation.period_year))
        .select_from(IndicatorSource)
        .join(
            Series,
            and_(
                Series.dataset_id == IndicatorSource.dataset_id,
                Series.key.contains(IndicatorSource.series),
            ),
        )
        .join(Observation, Observation.series_id == Series.id)
        .where(
            IndicatorSource.indicator_code.in_(codes),
            Observation.region_code.in_(regions),
            Observation.value.is_not(None),
        )
    )
    first, last = (await session.execute(statement)).one()
    return first, last


# -- datasets ------------------------------------------------------------------------------------


async def list_datasets(
    session: AsyncSession, *, after: str | None = None, limit: int | None = None
) -> Sequence[Dataset]:
    """The datasets by id, those after ``after``, at most ``limit``."""
    query = select(Dataset).order_by(Dataset.id).limit(limit)
    if after is not None:
        query = query.where(Dataset.id > after)
    return (await session.scalars(query)).all()


async def get_dataset(session: AsyncSession, dataset_id: str) -> Dataset | None:
    return await session.get(Dataset, dataset_id)


async def dataset_versions(session: AsyncSession, dataset_id: str) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(
            DatasetVersion.version,
            DatasetVersion.content_hash,
            DatasetVersion.cell_count,
            DatasetVersion.applied_at,
        )
        .where(DatasetVersion.dataset_id == dataset_id)
        .order_by(DatasetVersion.version.desc())
    )
    return [
        {
            "version": row.version,
            "content_hash": row.content_hash,
            "cell_count": row.cell_count,
            "applied_at": row.applied_at.isoformat().replace("+00:00", "Z"),
        }
        for row in rows
    ]


async def dimensions(
    session: AsyncSession, dataset_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """The dimensions of each dataset, in CLASS_INF order, with their item counts."""
    rows = await session.execute(
        select(
            Dimension.dataset_id,
            Dimension.id,
            Dimension.name,
            func.count(DimensionItem.code).label("item_count"),
        )
        .outerjoin(
            DimensionItem,
            and_(
                DimensionItem.dataset_id == Dimension.dataset_id,
                DimensionItem.dimension_id == Dimension.id,
            ),
        )
        .where(Dimension.dataset_id.in_(dataset_ids))
        .group_by(Dimension.dataset_id, Dimension.id, Dimension.name, Dimension.position)
        .order_by(Dimension.dataset_id, Dimension.position)
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        found.setdefault(row.dataset_id, []).append(
            {"id": row.id, "name": row.name, "item_count": row.item_count}
        )
    return found


async def dimension_items(
    session: AsyncSession, dataset_id: str
) -> dict[str, list[dict[str, Any]]]:
    rows = await session.scalars(
        select(DimensionItem)
        .where(DimensionItem.dataset_id == dataset_id)
        .order_by(DimensionItem.dimension_id, DimensionItem.position)
    )
    items: dict[str, list[dict[str, Any]]] = {}
    for item in rows:
        items.setdefault(item.dimension_id, []).append(
            {
                "code": item.code,
                "name": item.name,
                "level": item.level,
                "parent_code": item.parent_code,
                "unit": item.unit,
            }
        )
    return items


async def series_of(
    session: AsyncSession, dataset_id: str, filters: Mapping[str, Sequence[str]]
) -> dict[int, tuple[dict[str, str], str | None]]:
    """The series of a dataset whose codes pass ``filters`` (dimension id -> allowed codes)."""
    statement = select(Series.id, Series.key, Series.unit).where(Series.dataset_id == dataset_id)
    for dimension, codes in filters.items():
        statement = statement.where(Series.key[dimension].astext.in_(codes))
    return {row.id: (row.key, row.unit) for row in await session.execute(statement)}


async def observation_page(
    session: AsyncSession,
    series_ids: Sequence[int],
    *,
    areas: Sequence[str] | None,
    periods: Sequence[Period] | None,
    time_codes: Sequence[str] = (),
    after: tuple[int, str, str] | None,
    limit: int,
) -> Sequence[Row[*tuple[Any, ...]]]:
    """Up to ``limit`` observations in (series, area, time) order, after the cursor ``after``."""
    statement = select(
        Observation.series_id,
        Observation.region_code,
        Observation.time_code,
        Observation.value,
        Observation.value_text,
        Observation.mark,
        Observation.unit,
    ).where(Observation.series_id.in_(series_ids))
    if areas is not None:
        statement = statement.where(Observation.region_code.in_(areas))
    if periods is not None:
        # Typed periods match whatever code a table wrote them with (2016 or 2016000000); codes
        # this service cannot interpret match as written.
        statement = statement.where(
            or_(
                tuple_(
                    Observation.period_kind, Observation.period_year, Observation.period_sub
                ).in_([(period.kind.value, period.year, period.sub) for period in periods]),
                Observation.time_code.in_(time_codes),
            )
        )
    if after is not None:
        statement = statement.where(
            tuple_(Observation.series_id, Observation.region_code, Observation.time_code)
            > tuple_(*after)
        )
    statement = statement.order_by(
        Observation.series_id, Observation.region_code, Observation.time_code
    ).limit(limit)
    return (await session.execute(statement)).all()


# -- population pyramid ---------------------------------------------------------------------------


async def pyramid_rows(
    session: AsyncSession, dataset_id: str, region: str, span: YearSpan
) -> Sequence[Row[*tuple[Any, ...]]]:
    """Every cell of a sex x age table for one region and the years of ``span``."""
    statement = (
        select(
            Series.key,
            Observation.period_kind,
            Observation.period_year,
            Observation.period_sub,
            Observation.time_code,
            Observation.value,
            Observation.mark,
        )
        .join(Observation, Observation.series_id == Series.id)
        .where(
            Series.dataset_id == dataset_id,
            Observation.region_code == region,
            Observation.period_year.between(span.first, span.last),
        )
        .order_by(Observation.period_year, Observation.time_code)
    )
    return (await session.execute(statement)).all()
