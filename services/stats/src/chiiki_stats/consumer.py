"""The stats side of the bus contract (docs/bus-contract.md): staging batches and applying a
dataset version atomically.

Idempotency: a batch is staged under (run_id, batch_index), so a redelivered batch replaces
itself; a run already applied is recognised by its run_id (kept in ``dataset_versions``) and a
content already current by its hash, and both answer as before without changing anything.
Atomicity: a version is applied in one transaction, serialized per dataset by an advisory lock:
metadata, dimensions and series are replaced and every observation of the dataset is rewritten,
so readers (whose requests run in one snapshot) see the old version or the new one, never a mix.

The functions here only touch the database; the Celery tasks send the replies they return after
the transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.contracts import (
    ApplyBatch,
    BusMessage,
    ClassInfo,
    DatasetUpdated,
    PublishVersion,
    VersionApplied,
    VersionRejected,
    describe,
)
from chiiki_shared.locks import xact_lock
from chiiki_stats.models import (
    Dataset,
    DatasetVersion,
    Dimension,
    DimensionItem,
    Observation,
    Series,
    StagedBatch,
)
from chiiki_stats.periods import InvalidPeriod, Period
from chiiki_stats.reference import load_catalog
from chiiki_stats.versions import CHANNEL

logger = structlog.get_logger(__name__)

DATASETS = "chiiki_stats.dataset"
NON_SERIES_DIMENSIONS = frozenset({"area", "time"})
_UNSEEN: Any = object()  # a time code not looked at yet (its period may be None)
OBSERVATION_COLUMNS = (
    "series_id",
    "region_code",
    "time_code",
    "period_kind",
    "period_year",
    "period_sub",
    "value",
    "value_text",
    "mark",
    "unit",
)


@dataclass
class PublishOutcome:
    """What publishing did: ``applied``, ``unchanged`` (content already current), ``already``
    (run applied before), ``pending`` (batches missing) or ``rejected``; and what to send."""

    status: str
    version: int | None = None
    messages: list[BusMessage] = field(default_factory=list)
    reason: str | None = None


class Rejected(Exception):
    """The run cannot become a version; ``reason`` goes back to ingest."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- apply_batch ---------------------------------------------------------------------------------


async def stage_batch(session: AsyncSession, raw: dict[str, Any], *, ttl_hours: int = 48) -> str:
    """Stage one batch; ``staged``, ``ignored`` (its run is already applied) or ``invalid``."""
    await session.execute(
        delete(StagedBatch).where(
            StagedBatch.received_at < datetime.now(UTC) - timedelta(hours=ttl_hours)
        )
    )
    try:
        batch = ApplyBatch.model_validate(raw)
    except ValidationError as exc:
        return await _stage_invalid(session, raw, exc)
    if await _version_of_run(session, str(batch.run_id)) is not None:
        return "ignored"
    values = {
        "run_id": batch.run_id,
        "batch_index": batch.batch_index,
        "stats_data_id": batch.stats_data_id,
        "batch_count": batch.batch_count,
        "dimensions": batch.dimensions,
        "cells": batch.cells,
        "cell_count": len(batch.cells),
        "error": None,
    }
    statement = pg_insert(StagedBatch).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[StagedBatch.run_id, StagedBatch.batch_index],
            set_={**{key: statement.excluded[key] for key in values}, "received_at": func.now()},
        )
    )
    return "staged"


async def _stage_invalid(session: AsyncSession, raw: dict[str, Any], exc: ValidationError) -> str:
    """Remember why a batch was refused, so publishing its run is rejected with that reason."""
    reason = describe(exc)
    logger.warning("batch_invalid", reason=reason, run_id=raw.get("run_id"))
    try:
        identity = ApplyBatch.model_validate(
            {**raw, "dimensions": ["area"], "cells": [], "batch_count": raw.get("batch_count")}
        )
    except (ValidationError, TypeError):
        return "invalid"  # not even the run and batch can be told: nothing to attach it to
    statement = pg_insert(StagedBatch).values(
        run_id=identity.run_id,
        batch_index=identity.batch_index,
        stats_data_id=identity.stats_data_id,
        batch_count=identity.batch_count,
        dimensions=[],
        cells=[],
        cell_count=0,
        error=f"batch {identity.batch_index}: {reason}"[:2000],
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[StagedBatch.run_id, StagedBatch.batch_index],
            set_={"error": statement.excluded.error, "cells": [], "received_at": func.now()},
        )
    )
    return "invalid"


# -- publish_version -----------------------------------------------------------------------------


async def publish_version(
    session: AsyncSession,
    raw: dict[str, Any],
    *,
    final_attempt: bool = True,
    statement_timeout_ms: int = 600_000,
) -> PublishOutcome:
    """Turn the staged batches of a run into the dataset's next version, in this transaction."""
    try:
        payload = PublishVersion.model_validate(raw)
    except ValidationError as exc:
        reason = f"invalid publish_version payload: {exc.errors()[0]['msg']}"
        logger.warning("bus_message_rejected", task=PublishVersion.TASK, errors=describe(exc))
        return PublishOutcome("rejected", reason=reason, messages=rejections(raw, reason))
    run_id = str(payload.run_id)
    await xact_lock(session, DATASETS, payload.stats_data_id)
    applied = await _version_of_run(session, run_id)
    if applied is not None:
        version, applied_at = applied
        return PublishOutcome("already", version, [_applied_message(payload, version, applied_at)])
    try:
        outcome = await _publish(session, payload, final_attempt, statement_timeout_ms)
    except Rejected as exc:
        await _drop_staged(session, payload)
        logger.warning("version_rejected", run_id=run_id, reason=exc.reason)
        return PublishOutcome("rejected", reason=exc.reason, messages=rejections(raw, exc.reason))
    return outcome


async def _publish(
    session: AsyncSession, payload: PublishVersion, final_attempt: bool, timeout_ms: int
) -> PublishOutcome:
    current = await session.get(Dataset, payload.stats_data_id, with_for_update=True)
    if current is not None and current.content_hash == payload.content_hash:
        # Already current (a redelivery, or a run that found nothing new): nothing changes.
        await _drop_staged(session, payload)
        message = _applied_message(payload, current.version, current.applied_at)
        return PublishOutcome("unchanged", current.version, [message])
    staged = (
        await session.execute(
            select(
                StagedBatch.batch_index,
                StagedBatch.batch_count,
                StagedBatch.stats_data_id,
                StagedBatch.dimensions,
                StagedBatch.cell_count,
                StagedBatch.error,
            )
            .where(StagedBatch.run_id == payload.run_id)
            .order_by(StagedBatch.batch_index)
        )
    ).all()
    errors = [row.error for row in staged if row.error]
    if errors:
        raise Rejected(errors[0])
    if any(row.stats_data_id != payload.stats_data_id for row in staged):
        raise Rejected("staged batches belong to another dataset")
    if any(row.batch_count != payload.batch_count for row in staged):
        raise Rejected("staged batches disagree with batch_count")
    if len(staged) < payload.batch_count:
        if not final_attempt:
            return PublishOutcome("pending")
        raise Rejected(f"only {len(staged)} of {payload.batch_count} batches arrived")
    if len({tuple(row.dimensions) for row in staged}) != 1:
        raise Rejected("batches list their dimensions differently")
    cell_count = sum(row.cell_count for row in staged)
    if cell_count != payload.cell_count:
        raise Rejected(
            f"batches hold {cell_count} cells, publish_version says {payload.cell_count}"
        )

    dimensions = list(staged[0].dimensions)
    cells = [
        cell
        for batch in (
            await session.scalars(
                select(StagedBatch.cells)
                .where(StagedBatch.run_id == payload.run_id)
                .order_by(StagedBatch.batch_index)
            )
        )
        for cell in batch
    ]
    table = _parse_cells(dimensions, payload.classes, cells)

    await session.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
    version = (current.version if current else 0) + 1
    applied_at = datetime.now(UTC)
    await _write_dataset(session, payload, version, applied_at, exists=current is not None)
    await _write_dimensions(session, payload)
    series_ids = await _write_series(session, payload.stats_data_id, table)
    await _write_observations(session, payload.stats_data_id, table, series_ids)
    await session.execute(
        insert(DatasetVersion).values(
            dataset_id=payload.stats_data_id,
            version=version,
            run_id=payload.run_id,
            content_hash=payload.content_hash,
            cell_count=payload.cell_count,
            applied_at=applied_at,
            table_info=payload.table.model_dump(mode="json"),
        )
    )
    await _drop_staged(session, payload)
    # Delivered when this transaction commits: each web process reloads its versions at once.
    await session.execute(select(func.pg_notify(CHANNEL, payload.stats_data_id)))
    catalog = await load_catalog(session)
    indicators = catalog.indicators_using(payload.stats_data_id)
    logger.info(
        "version_applied",
        stats_data_id=payload.stats_data_id,
        version=version,
        cells=payload.cell_count,
        series=len(series_ids),
    )
    return PublishOutcome(
        "applied",
        version,
        [
            _applied_message(payload, version, applied_at),
            DatasetUpdated(
                stats_data_id=payload.stats_data_id, version=version, indicators=indicators
            ),
        ],
    )


@dataclass
class ParsedTable:
    """The cells of a version, grouped by series, ready to write."""

    series: dict[tuple[tuple[str, str], ...], dict[str, Any]]
    rows: list[
        tuple[
            tuple[tuple[str, str], ...],
            str,
            str,
            Period | None,
            Decimal | None,
            str | None,
            str | None,
            str | None,
        ]
    ]


def _parse_cells(
    dimensions: Sequence[str], classes: Sequence[ClassInfo], cells: Sequence[Sequence[Any]]
) -> ParsedTable:
    by_id = {info.id: info for info in classes}
    missing = [dim for dim in dimensions if dim not in by_id]
    if missing:
        raise Rejected(f"cells use dimensions without a class: {', '.join(missing)}")
    items = {
        dim: {item.code: (position, item) for position, item in enumerate(by_id[dim].items)}
        for dim in dimensions
    }
    for at, dim in enumerate(dimensions):
        unknown = {cell[at] for cell in cells} - items[dim].keys()
        if unknown:
            raise Rejected(f"codes not in the {dim} class: {', '.join(sorted(unknown)[:5])}")
    for dim in ("area", "time"):
        too_long = (
            [item.code for item in by_id[dim].items if len(item.code) > 16] if dim in by_id else []
        )
        if too_long:
            raise Rejected(f"{dim} codes longer than 16 characters: {', '.join(too_long[:5])}")
    series_dims = [dim for dim in dimensions if dim not in NON_SERIES_DIMENSIONS]
    series_at = [dimensions.index(dim) for dim in series_dims]
    area_at = dimensions.index("area") if "area" in dimensions else None
    time_at = dimensions.index("time") if "time" in dimensions else None
    width = len(dimensions)
    series: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    keys: dict[tuple[str, ...], tuple[tuple[str, str], ...]] = {}
    periods: dict[str, Period | None] = {}
    rows = []
    # Cells are told apart by (series number, area, time): hashing the series key itself (a
    # tuple of tuples) for every cell cost a third of this loop.
    numbers: dict[tuple[tuple[str, str], ...], int] = {}
    seen: set[tuple[int, str, str]] = set()
    for number, cell in enumerate(cells):
        raw_value, mark, unit = cell[width], cell[width + 1], cell[width + 2]
        value = None if raw_value is None else _decimal(raw_value, number)
        if value is not None and mark is not None:
            raise Rejected(f"cell {number} has both a value and the mark {mark!r}")
        codes = tuple([cell[at] for at in series_at])
        key = keys.get(codes)
        if key is None:
            key = keys[codes] = tuple(zip(series_dims, codes, strict=True))
            series[key] = _series_info(key, items, unit)
            numbers[key] = len(numbers)
        time_code = cell[time_at] if time_at is not None else ""
        period = periods.get(time_code, _UNSEEN)
        if period is _UNSEEN:
            period = periods[time_code] = _period(time_code)
        region = cell[area_at] if area_at is not None else ""
        seen.add((numbers[key], region, time_code))
        rows.append((key, region, time_code, period, value, raw_value, mark, unit))
    if len(seen) != len(rows):
        raise Rejected("some cells repeat the same codes")
    return ParsedTable(series, rows)


def _decimal(raw: Any, number: int) -> Decimal:
    try:
        value = Decimal(raw if isinstance(raw, str) else str(raw))
    except InvalidOperation:
        raise Rejected(f"cell {number}: value {raw!r} is not a decimal number") from None
    if not value.is_finite():
        raise Rejected(f"cell {number}: value {raw!r} is not finite")
    return value


def _period(time_code: str) -> Period | None:
    if not time_code:
        return None
    try:
        return Period.from_estat(time_code)
    except InvalidPeriod:
        logger.info("time_code_not_interpreted", time_code=time_code)
        return None


def _series_info(
    key: tuple[tuple[str, str], ...],
    items: dict[str, dict[str, tuple[int, Any]]],
    cell_unit: str | None,
) -> dict[str, Any]:
    entries = [items[dim][code] for dim, code in key]
    class_units = [item.unit for _, item in entries if item.unit]
    return {
        "label": " / ".join(item.name for _, item in entries),
        "unit": class_units[0] if class_units else cell_unit,
        "order": tuple(position for position, _ in entries),
    }


async def _write_dataset(
    session: AsyncSession,
    payload: PublishVersion,
    version: int,
    applied_at: datetime,
    *,
    exists: bool,
) -> None:
    table = payload.table
    values = {
        "title": table.title,
        "statistics_name": table.statistics_name,
        "organisation": table.organisation,
        "survey_date": str(table.survey_date) if table.survey_date is not None else None,
        "open_date": table.open_date or None,
        "updated_date": table.updated_date or None,
        "attribution": table.attribution,
        "version": version,
        "content_hash": payload.content_hash,
        "cell_count": payload.cell_count,
        "applied_at": applied_at,
        "notes": [note.model_dump() for note in payload.notes],
    }
    if exists:
        await session.execute(
            update(Dataset).where(Dataset.id == payload.stats_data_id).values(**values)
        )
    else:
        await session.execute(insert(Dataset).values(id=payload.stats_data_id, **values))


async def _write_dimensions(session: AsyncSession, payload: PublishVersion) -> None:
    dataset_id = payload.stats_data_id
    await session.execute(delete(Dimension).where(Dimension.dataset_id == dataset_id))
    await session.execute(
        insert(Dimension),
        [
            {"dataset_id": dataset_id, "id": info.id, "name": info.name, "position": position}
            for position, info in enumerate(payload.classes)
        ],
    )
    items = [
        {
            "dataset_id": dataset_id,
            "dimension_id": info.id,
            "code": item.code,
            "name": item.name,
            "level": item.level or None,
            "parent_code": item.parent_code or None,
            "unit": item.unit or None,
            "position": position,
        }
        for info in payload.classes
        for position, item in enumerate(info.items)
    ]
    if items:
        await session.execute(insert(DimensionItem), items)


async def _write_series(
    session: AsyncSession, dataset_id: str, table: ParsedTable
) -> dict[tuple[tuple[str, str], ...], int]:
    """Keep the ids of series that persist, add new ones, drop those the version no longer has."""
    existing = {
        tuple(sorted(row.key.items())): row.id
        for row in (
            await session.execute(
                select(Series.id, Series.key).where(Series.dataset_id == dataset_id)
            )
        )
    }
    ordered = sorted(table.series, key=lambda key: table.series[key]["order"])
    ids: dict[tuple[tuple[str, str], ...], int] = {}
    for position, key in enumerate(ordered):
        info = table.series[key]
        found = existing.pop(tuple(sorted(key)), None)
        values = {"label": info["label"], "unit": info["unit"], "position": position}
        if found is None:
            found = await session.scalar(
                insert(Series)
                .values(dataset_id=dataset_id, key=dict(key), **values)
                .returning(Series.id)
            )
        else:
            await session.execute(update(Series).where(Series.id == found).values(**values))
        ids[key] = found
    if existing:
        await session.execute(delete(Series).where(Series.id.in_(existing.values())))
    return ids


async def _write_observations(
    session: AsyncSession,
    dataset_id: str,
    table: ParsedTable,
    series_ids: dict[tuple[tuple[str, str], ...], int],
) -> None:
    await session.execute(
        delete(Observation).where(
            Observation.series_id.in_(select(Series.id).where(Series.dataset_id == dataset_id))
        )
    )
    units = {key: info["unit"] for key, info in table.series.items()}
    records = [
        (
            series_ids[key],
            region,
            time_code,
            period.kind.value if period else None,
            period.year if period else None,
            period.sub if period else None,
            value,
            text,
            mark,
            unit if unit != units[key] else None,
        )
        for key, region, time_code, period, value, text, mark, unit in table.rows
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is None:
        raise RuntimeError("the connection was closed before COPY")
    await driver.copy_records_to_table(
        Observation.__tablename__,
        schema_name=Observation.__table__.schema,
        columns=OBSERVATION_COLUMNS,
        records=records,
    )


async def _drop_staged(session: AsyncSession, payload: PublishVersion) -> None:
    await session.execute(delete(StagedBatch).where(StagedBatch.run_id == payload.run_id))


async def _version_of_run(session: AsyncSession, run_id: str) -> tuple[int, datetime] | None:
    row = (
        await session.execute(
            select(DatasetVersion.version, DatasetVersion.applied_at).where(
                DatasetVersion.run_id == run_id
            )
        )
    ).first()
    return (row.version, row.applied_at) if row else None


def _applied_message(payload: PublishVersion, version: int, applied_at: datetime) -> VersionApplied:
    return VersionApplied.of(
        payload.run_id,
        payload.stats_data_id,
        version,
        payload.cell_count,
        applied_at.astimezone(UTC),
    )


def rejections(raw: object, reason: str) -> list[BusMessage]:
    """The rejection to send, when ``raw`` names a run to send it for (else only logged)."""
    if not isinstance(raw, dict) or not raw.get("run_id"):
        return []
    answer = VersionRejected.receive(
        {
            "run_id": raw.get("run_id"),
            "stats_data_id": raw.get("stats_data_id"),
            "reason": reason[:2000],
        }
    )
    return [answer] if answer is not None else []
