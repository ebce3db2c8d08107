"""The rules behind the admin API (and the scheduling tasks): no HTTP here and no commit; a run's
task goes into the outbox and leaves once the caller has committed."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_ingest import repository, runs
from chiiki_ingest.audit import AUDIT_LOG, entry_snapshot, run_snapshot
from chiiki_ingest.catalog import EntrySpec
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.messaging import RUN_INGESTION, Outbox
from chiiki_ingest.models import CatalogEntry, QualityFinding, Run, RunStatus
from chiiki_ingest.schemas import CatalogEntryUpdate, RunCreate
from chiiki_shared.audit import Actor, Origin
from chiiki_shared.errors import Conflict, NotFound, UnprocessableInput

RETRYABLE = (RunStatus.FAILED, RunStatus.BLOCKED)


class ActiveRunConflict(Conflict):
    code, title = "active-run-exists", "A run of this dataset is already active"


class RunNotFound(NotFound):
    code, title = "run-not-found", "Run not found"


class RunNotRetryable(Conflict):
    code, title = "run-not-retryable", "Run cannot be retried"


class EntryNotFound(NotFound):
    code, title = "catalog-entry-not-found", "Catalog entry not found"


class EntryExists(Conflict):
    code, title = "catalog-entry-exists", "Catalog entry exists"


async def enqueue_run(
    session: AsyncSession,
    outbox: Outbox,
    settings: IngestSettings,
    stats_data_id: str,
    *,
    trigger: str,
    filters: dict[str, Any] | None = None,
    retry_of: uuid.UUID | None = None,
) -> Run:
    """Create a queued run and put its task in the outbox; ``runs.ActiveRunExists`` if busy."""
    if filters is None:
        entry = await repository.get_entry(session, stats_data_id)
        filters = dict(entry.filters) if entry is not None else {}
    run = await runs.create(
        session,
        stats_data_id,
        trigger=trigger,
        filters=filters,
        retry_of=retry_of,
        source_url=settings.estat_api_base_url,
    )
    outbox.add(RUN_INGESTION, {"run_id": str(run.id)})
    return run


def _active_conflict(error: runs.ActiveRunExists) -> ActiveRunConflict:
    return ActiveRunConflict(
        f"{error.stats_data_id} already has a queued or running run ({error.run_id}); "
        "one run per dataset at a time",
        extra={"active_run_id": str(error.run_id) if error.run_id else None},
    )


async def create_run(
    session: AsyncSession,
    outbox: Outbox,
    settings: IngestSettings,
    request: RunCreate,
    *,
    actor: Actor,
    origin: Origin,
) -> Run:
    filters = request.filters if "filters" in request.model_fields_set else None
    try:
        run = await enqueue_run(
            session, outbox, settings, request.stats_data_id, trigger="api", filters=filters
        )
    except runs.ActiveRunExists as error:
        raise _active_conflict(error) from None
    await _audit_run(session, run, "run.triggered", actor, origin)
    return run


async def _audit_run(
    session: AsyncSession, run: Run, action: str, actor: Actor, origin: Origin
) -> None:
    await AUDIT_LOG.record(
        session,
        actor=actor,
        action=action,
        target_type="run",
        target_id=str(run.id),
        after=run_snapshot(run),
        origin=origin,
    )


async def run_detail(session: AsyncSession, run_id: uuid.UUID) -> tuple[Run, list[QualityFinding]]:
    run = await repository.get_run(session, run_id)
    if run is None:
        raise RunNotFound(f"No run {run_id}.")
    return run, await repository.findings_of(session, run_id)


async def retry_run(
    session: AsyncSession,
    outbox: Outbox,
    settings: IngestSettings,
    run_id: uuid.UUID,
    *,
    actor: Actor,
    origin: Origin,
) -> Run:
    """A new run of the same table and filters; only failed and blocked runs can be retried."""
    original = await repository.get_run(session, run_id)
    if original is None:
        raise RunNotFound(f"No run {run_id}.")
    if original.status not in RETRYABLE:
        raise RunNotRetryable(
            f"Run {run_id} is {original.status}; only failed or blocked runs can be retried.",
            extra={"run_status": original.status},
        )
    try:
        run = await enqueue_run(
            session,
            outbox,
            settings,
            original.stats_data_id,
            trigger="retry",
            filters=dict(original.filters or {}),
            retry_of=original.id,
        )
    except runs.ActiveRunExists as error:
        raise _active_conflict(error) from None
    await _audit_run(session, run, "run.retried", actor, origin)
    return run


# -- catalog ------------------------------------------------------------------------------------


async def catalog_entry_view(
    session: AsyncSession, entry: CatalogEntry
) -> tuple[CatalogEntry, dict[str, Any], uuid.UUID | None]:
    current = await repository.versions_of(session, entry.stats_data_id)
    return entry, current, await runs.active_run_id(session, entry.stats_data_id)


async def list_runs(
    session: AsyncSession, where: repository.RunFilter, *, limit: int, offset: int
) -> tuple[list[Run], int]:
    """A page of runs matching ``where``, newest first, and how many match."""
    rows, total = await repository.list_runs(session, where, limit=limit, offset=offset)
    return list(rows), total


async def list_catalog(
    session: AsyncSession,
) -> list[tuple[CatalogEntry, dict[str, Any], uuid.UUID | None]]:
    return [await catalog_entry_view(session, e) for e in await repository.list_catalog(session)]


async def get_entry(session: AsyncSession, stats_data_id: str) -> CatalogEntry:
    entry = await repository.get_entry(session, stats_data_id)
    if entry is None:
        raise EntryNotFound(f"{stats_data_id} is not in the catalog.")
    return entry


async def add_entry(
    session: AsyncSession, spec: EntrySpec, *, actor: Actor, origin: Origin
) -> CatalogEntry:
    if await repository.get_entry(session, spec.stats_data_id) is not None:
        raise EntryExists(f"{spec.stats_data_id} is already in the catalog; update it instead.")
    entry = CatalogEntry(**spec.model_dump(mode="json"), origin="api")
    session.add(entry)
    await session.flush()
    await session.refresh(entry)
    await _audit_entry(session, entry, "catalog.entry_created", None, actor, origin)
    return entry


async def _audit_entry(
    session: AsyncSession,
    entry: CatalogEntry,
    action: str,
    before: dict[str, Any] | None,
    actor: Actor,
    origin: Origin,
) -> None:
    await AUDIT_LOG.record(
        session,
        actor=actor,
        action=action,
        target_type="catalog_entry",
        target_id=entry.stats_data_id,
        before=before,
        after=entry_snapshot(entry),
        origin=origin,
    )


async def update_entry(
    session: AsyncSession,
    stats_data_id: str,
    patch: CatalogEntryUpdate,
    *,
    actor: Actor,
    origin: Origin,
) -> CatalogEntry:
    entry = await get_entry(session, stats_data_id)
    current = entry_snapshot(entry)
    try:
        merged = EntrySpec(**{**current, **patch.model_dump(exclude_unset=True)})
    except ValidationError as error:
        raise UnprocessableInput(
            "The catalog entry would not be valid.",
            extra={"errors": _field_errors(error)},
        ) from None
    for field, value in merged.model_dump(mode="json").items():
        setattr(entry, field, value)
    entry.updated_at = func.now()
    await session.flush()
    await session.refresh(entry)
    if entry_snapshot(entry) != current:
        await _audit_entry(session, entry, "catalog.entry_changed", current, actor, origin)
    return entry


def _field_errors(error: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(["body", *(str(part) for part in item["loc"])]),
            "message": item["msg"],
            "type": item["type"],
        }
        for item in error.errors()
    ]
