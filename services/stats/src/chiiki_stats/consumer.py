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

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import structlog
from pydantic import ValidationError
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.contracts import (
    ApplyBatch,
    ApplyBatchColumns,
    ApplyBatchRows,
    BatchColumns,
    BusMessage,
    DatasetUpdated,
    PublishVersion,
    VersionApplied,
    VersionRejected,
    describe,
    receive_apply_batch,
)
from chiiki_shared.locks import xact_lock
from chiiki_stats import staged_rows
from chiiki_stats.models import (
    Dataset,
    DatasetVersion,
    Dimension,
    DimensionItem,
    Observation,
    Series,
    StagedBatch,
)
from chiiki_stats.reference import load_catalog
from chiiki_stats.staged_tables import (
    ParsedTable,
    Rejected,
    RowsTable,
    SeriesKey,
    parse_columns,
    parse_rows,
    staged_batch,
)
from chiiki_stats.versions import CHANNEL

logger = structlog.get_logger(__name__)

DATASETS = "chiiki_stats.dataset"


@dataclass
class PublishOutcome:
    """What publishing did: ``applied``, ``unchanged`` (content already current), ``already``
    (run applied before), ``pending`` (batches missing) or ``rejected``; and what to send."""

    status: str
    version: int | None = None
    messages: list[BusMessage] = field(default_factory=list)
    reason: str | None = None


# -- apply_batch ---------------------------------------------------------------------------------


async def stage_batch(session: AsyncSession, raw: dict[str, Any], *, ttl_hours: int = 48) -> str:
    """Stage one batch; ``staged``, ``ignored`` (its run is already applied) or ``invalid``."""
    await session.execute(
        delete(StagedBatch).where(
            StagedBatch.received_at < datetime.now(UTC) - timedelta(hours=ttl_hours)
        )
    )
    try:
        batch = receive_apply_batch(raw)
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
        "cells": [],
        "error": None,
        **_staged_content(batch),
    }
    statement = pg_insert(StagedBatch).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[StagedBatch.run_id, StagedBatch.batch_index],
            set_={**{key: statement.excluded[key] for key in values}, "received_at": func.now()},
        )
    )
    return "staged"


def _staged_content(batch: ApplyBatch | ApplyBatchColumns | ApplyBatchRows) -> dict[str, Any]:
    """Version 3 is staged as its compressed COPY text; versions 1 and 2 as version 2's
    compressed columns."""
    if isinstance(batch, ApplyBatchRows):
        rows = {"rows": batch.compressed(), "series": batch.series}
        return {"columns": None, "cell_count": batch.cell_count, **rows}
    if isinstance(batch, ApplyBatchColumns):
        columns, count = batch.compressed(), batch.cell_count
    else:
        columns = BatchColumns.from_cells(batch.dimensions, batch.cells).compress()
        count = len(batch.cells)
    return {"columns": columns, "cell_count": count, "rows": None, "series": None}


async def _stage_invalid(session: AsyncSession, raw: dict[str, Any], exc: ValidationError) -> str:
    """Remember why a batch was refused, so publishing its run is rejected with that reason."""
    reason = describe(exc)
    logger.warning("batch_invalid", reason=reason, run_id=raw.get("run_id"))
    try:
        identity = ApplyBatch.model_validate(
            {
                **_version_one_fields(raw),
                "dimensions": ["area"],
                "cells": [],
                "batch_count": raw.get("batch_count"),
            }
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
            set_={
                "error": statement.excluded.error,
                "cells": [],
                "columns": None,
                "rows": None,
                "series": None,
                "received_at": func.now(),
            },
        )
    )
    return "invalid"


def _version_one_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` without what only versions 2 and 3 have, so a bad batch can name its run."""
    if raw.get("schema_version") not in (ApplyBatchColumns.VERSION, ApplyBatchRows.VERSION):
        return raw
    later = {"schema_version", "cell_count", "columns", "series", "rows"}
    return {key: value for key, value in raw.items() if key not in later}


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
    contents = (
        await session.execute(
            select(
                StagedBatch.batch_index,
                StagedBatch.columns,
                StagedBatch.cells,
                StagedBatch.rows,
                StagedBatch.series,
                StagedBatch.cell_count,
            )
            .where(StagedBatch.run_id == payload.run_id)
            .order_by(StagedBatch.batch_index)
        )
    ).all()
    version = (current.version if current else 0) + 1
    applied_at = datetime.now(UTC)
    await session.execute(text(f"SET LOCAL statement_timeout = {int(timeout_ms)}"))
    if any(row.rows is not None for row in contents):
        table: ParsedTable | RowsTable = await parse_rows(
            session, dimensions, payload.classes, contents
        )
        try:
            # Duplicates and rows without a series are found by the INSERT: undone with it.
            async with session.begin_nested():
                series_ids = await _write_version(
                    session, payload, version, applied_at, current is not None, table
                )
        except asyncpg.UniqueViolationError:
            raise Rejected("some cells repeat the same codes") from None
    else:
        batches = [staged_batch(dimensions, row.columns, row.cells) for row in contents]
        table = parse_columns(dimensions, payload.classes, batches)
        series_ids = await _write_version(
            session, payload, version, applied_at, current is not None, table
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


async def _write_version(
    session: AsyncSession,
    payload: PublishVersion,
    version: int,
    applied_at: datetime,
    exists: bool,
    table: ParsedTable | RowsTable,
) -> dict[SeriesKey, int]:
    await _write_dataset(session, payload, version, applied_at, exists=exists)
    await _write_dimensions(session, payload)
    series_ids = await _write_series(session, payload.stats_data_id, table)
    if isinstance(table, RowsTable):
        await _write_rows(session, payload, table, series_ids)
    else:
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
    return series_ids


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
    session: AsyncSession, dataset_id: str, table: ParsedTable | RowsTable
) -> dict[SeriesKey, int]:
    """Keep the ids of series that persist, add new ones, drop those the version no longer has:
    one statement each (not one per series)."""
    existing = {
        tuple(sorted(row.key.items())): row.id
        for row in (
            await session.execute(
                select(Series.id, Series.key).where(Series.dataset_id == dataset_id)
            )
        )
    }
    ordered = sorted(table.series, key=lambda key: table.series[key]["order"])
    ids: dict[SeriesKey, int] = {}
    updates, inserts, new_keys = [], [], []
    for position, key in enumerate(ordered):
        info = table.series[key]
        values = {"label": info["label"], "unit": info["unit"], "position": position}
        found = existing.pop(tuple(sorted(key)), None)
        if found is None:
            inserts.append({"dataset_id": dataset_id, "key": dict(key), **values})
            new_keys.append(key)
        else:
            updates.append({"id": found, **values})
            ids[key] = found
    if updates:
        await session.execute(update(Series), updates)
    if inserts:
        # Batched multi-row INSERTs; the ids come back in the order of ``inserts``.
        added = await session.scalars(
            insert(Series).returning(Series.id, sort_by_parameter_order=True), inserts
        )
        ids.update(zip(new_keys, added, strict=True))
    if existing:
        await session.execute(
            delete(Series)
            .where(Series.id.in_(existing.values()))
            .execution_options(synchronize_session=False)
        )
    return ids


async def _write_observations(
    session: AsyncSession,
    dataset_id: str,
    table: ParsedTable,
    series_ids: dict[SeriesKey, int],
) -> None:
    # Not synchronised with the session (which holds no observations): the ORM's default would
    # read every deleted row's key back (RETURNING), 217,625 of them for SSDSE-A.
    await session.execute(
        delete(Observation)
        .where(Observation.series_id.in_(select(Series.id).where(Series.dataset_id == dataset_id)))
        .execution_options(synchronize_session=False)
    )
    columns = table.columns
    count = columns.cell_count
    series = [series_ids[key] for key in table.keys]
    series_units = [table.series[key]["unit"] for key in table.keys]
    regions = [columns.areas[at] for at in columns.area_index] if columns.areas else [""] * count
    if columns.times:
        times = columns.time_index
        time_codes = [columns.times[at] for at in times]
        periods = [table.periods[at] for at in times]
    else:
        time_codes, periods = [""] * count, [None] * count
    units = [columns.units[at] for at in columns.unit_index]
    records = list(
        zip(
            [series[number] for number in columns.series_index],
            regions,
            time_codes,
            [period.kind.value if period else None for period in periods],
            [period.year if period else None for period in periods],
            [period.sub if period else None for period in periods],
            table.values,
            columns.value_text,
            columns.mark,
            [
                unit if unit != series_units[number] else None
                for unit, number in zip(units, columns.series_index, strict=True)
            ],
            strict=True,
        )
    )
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    if driver is None:
        raise RuntimeError("the connection was closed before COPY")
    await driver.copy_records_to_table(
        Observation.__tablename__,
        schema_name=Observation.__table__.schema,
        columns=staged_rows.OBSERVATION_COLUMNS,
        records=records,
    )


async def _write_rows(
    session: AsyncSession, payload: PublishVersion, table: RowsTable, ids: dict[SeriesKey, int]
) -> None:
    await session.execute(
        delete(Observation)
        .where(
            Observation.series_id.in_(
                select(Series.id).where(Series.dataset_id == payload.stats_data_id)
            )
        )
        .execution_options(synchronize_session=False)
    )
    series = [
        (batch, entry, ids[table.keys[number]], table.series[table.keys[number]]["unit"])
        for batch, entry, number in table.entries
    ]
    written = await staged_rows.write_observations(session, series, table.periods, table.values)
    if written != payload.cell_count:
        raise Rejected(f"{payload.cell_count - written} cells name no series of their batch")


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
