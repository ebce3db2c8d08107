"""The rules behind the admin API (and the scheduling tasks): no HTTP here and no commit; a run's
task goes into the outbox and leaves once the caller has committed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_ingest import repository, runs, tablecheck
from chiiki_ingest.audit import AUDIT_LOG, entry_snapshot, run_snapshot
from chiiki_ingest.catalog import EntrySpec
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.estat.client import Guard
from chiiki_ingest.messaging import RunIngestion
from chiiki_ingest.models import CatalogEntry, QualityFinding, Run, RunStatus
from chiiki_ingest.schemas import CatalogEntryUpdate, RunCreate
from chiiki_shared.audit import Actor, Origin
from chiiki_shared.bus import Outbox
from chiiki_shared.errors import Conflict, NotFound, UnprocessableInput
from chiiki_shared.pagination import bad_cursor, decode_cursor, decode_time_id, time_id_key

RETRYABLE = (RunStatus.FAILED, RunStatus.BLOCKED, RunStatus.CANCELLED)


class ActiveRunConflict(Conflict):
    code, title = "active-run-exists", "A run of this dataset is already active"


class RunNotFound(NotFound):
    code, title = "run-not-found", "Run not found"


class RunNotRetryable(Conflict):
    code, title = "run-not-retryable", "Run cannot be retried"


class RunNotCancellable(Conflict):
    code, title = "run-not-cancellable", "Run cannot be cancelled"


class VersionNotFound(NotFound):
    code, title = "version-not-found", "No such applied version"


class VersionIsCurrent(Conflict):
    code, title = "version-is-current", "The version is already served"


class VersionNotRetained(Conflict):
    code, title = "version-not-retained", "The version's pages are no longer kept"


class EntryHasVersions(Conflict):
    code, title = "catalog-entry-has-versions", "Catalog entry has published versions"


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
    allow_shrink: bool = False,
    restores_version: int | None = None,
    dry_run: bool = False,
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
        allow_shrink=allow_shrink,
        restores_version=restores_version,
        dry_run=dry_run,
    )
    outbox.add(RunIngestion(run_id=run.id))
    return run


def active_conflict(error: runs.ActiveRunExists) -> ActiveRunConflict:
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
            session,
            outbox,
            settings,
            request.stats_data_id,
            trigger="api",
            filters=filters,
            allow_shrink=request.allow_shrink,
            dry_run=request.dry_run,
        )
    except runs.ActiveRunExists as error:
        raise active_conflict(error) from None
    await audit_run(session, run, "run.triggered", actor, origin)
    return run


async def audit_run(
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
            allow_shrink=original.allow_shrink,
            dry_run=original.dry_run,
        )
    except runs.ActiveRunExists as error:
        raise active_conflict(error) from None
    await audit_run(session, run, "run.retried", actor, origin)
    return run


async def cancel_run(
    session: AsyncSession, run_id: uuid.UUID, *, actor: Actor, origin: Origin
) -> Run:
    """Cancel a queued run, or ask a running one to stop at its next page or batch."""
    cancelled = await runs.request_cancel(session, run_id)
    if cancelled is None:
        run = await repository.get_run(session, run_id)
        if run is None:
            raise RunNotFound(f"No run {run_id}.")
        raise RunNotCancellable(
            f"Run {run_id} is {run.status} ({run.phase}); only queued runs and running runs "
            "that have not handed their version to stats can be cancelled.",
            extra={"run_status": run.status, "phase": run.phase},
        )
    await audit_run(session, cancelled, "run.cancelled", actor, origin)
    return cancelled


async def rollback(
    session: AsyncSession,
    outbox: Outbox,
    settings: IngestSettings,
    stats_data_id: str,
    version: int,
    *,
    actor: Actor,
    origin: Origin,
) -> Run:
    """A run that publishes an earlier version's stored pages again (no source request): stats
    then serves that content as its next version, and both histories keep every step."""
    await get_entry(session, stats_data_id)
    wanted = await repository.applied_version(session, stats_data_id, version)
    if wanted is None:
        raise VersionNotFound(f"{stats_data_id} has no applied version {version}.")
    current = await repository.latest_applied(session, stats_data_id)
    if current is not None and current.version == version:
        raise VersionIsCurrent(f"Version {version} of {stats_data_id} is the one served.")
    if not await repository.pages_retained(session, wanted.run_id):
        raise VersionNotRetained(
            f"The pages of version {version} are gone (the newest {settings.retention_versions} "
            "versions are kept: INGEST_RETENTION_VERSIONS); ingest the table again instead.",
            extra={"retention_versions": settings.retention_versions},
        )
    source = await repository.get_run(session, wanted.run_id)
    try:
        run = await enqueue_run(
            session,
            outbox,
            settings,
            stats_data_id,
            trigger="rollback",
            filters=dict(source.filters or {}) if source else {},
            allow_shrink=True,  # going back to fewer cells is what was asked for
            restores_version=version,
        )
    except runs.ActiveRunExists as error:
        raise active_conflict(error) from None
    await repository.copy_pages(session, wanted.run_id, run.id)
    await AUDIT_LOG.record(
        session,
        actor=actor,
        action="catalog.version_rolled_back",
        target_type="catalog_entry",
        target_id=stats_data_id,
        before={"version": current.version if current else None},
        after={"version": version, "run_id": str(run.id)},
        origin=origin,
    )
    return run


# -- catalog ------------------------------------------------------------------------------------


async def catalog_entry_view(
    session: AsyncSession, entry: CatalogEntry
) -> tuple[CatalogEntry, dict[str, Any], uuid.UUID | None]:
    current = await repository.versions_of(session, entry.stats_data_id)
    return entry, current, await runs.active_run_id(session, entry.stats_data_id)


async def list_runs(
    session: AsyncSession,
    *,
    stats_data_id: str | None,
    statuses: Sequence[str],
    trigger: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Run], list[Any] | None]:
    """A page of the runs that match every filter given, newest first, and the key of its last
    run when more follow."""
    where = repository.RunFilter(stats_data_id, tuple(statuses), trigger, since, until)
    after = decode_time_id(cursor) if cursor is not None else None
    rows = await repository.list_runs(session, where, limit=limit + 1, after=after)
    more, rows = len(rows) > limit, rows[:limit]
    last = time_id_key(rows[-1].queued_at, rows[-1].id) if more and rows else None
    return rows, last


async def list_catalog(
    session: AsyncSession, *, limit: int, cursor: str | None
) -> tuple[list[tuple[CatalogEntry, dict[str, Any], uuid.UUID | None]], list[Any] | None]:
    """A page of the catalog by statsDataId, and the key of its last entry when more follow."""
    after = None
    if cursor is not None:
        [after] = decode_cursor(cursor, length=1)
        if not isinstance(after, str):
            raise bad_cursor()
    entries = await repository.list_catalog(session, limit=limit + 1, after=after)
    more, entries = len(entries) > limit, entries[:limit]
    views = [await catalog_entry_view(session, e) for e in entries]
    return views, [entries[-1].stats_data_id] if more and entries else None


async def get_entry(session: AsyncSession, stats_data_id: str) -> CatalogEntry:
    entry = await repository.get_entry(session, stats_data_id)
    if entry is None:
        raise EntryNotFound(f"{stats_data_id} is not in the catalog.")
    return entry


# Changing these makes the entry name other parts of the table: checked against its metadata again.
CHECKED_FIELDS = frozenset({"area_dimension", "time_dimension", "filters"})


async def add_entry(
    session: AsyncSession,
    settings: IngestSettings,
    spec: EntrySpec,
    *,
    actor: Actor,
    origin: Origin,
    guard: Guard | None = None,
) -> CatalogEntry:
    if await repository.get_entry(session, spec.stats_data_id) is not None:
        raise EntryExists(f"{spec.stats_data_id} is already in the catalog; update it instead.")
    await tablecheck.verify(settings, spec, guard)
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
    settings: IngestSettings,
    stats_data_id: str,
    patch: CatalogEntryUpdate,
    *,
    actor: Actor,
    origin: Origin,
    guard: Guard | None = None,
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
    if CHECKED_FIELDS & patch.model_fields_set:
        await tablecheck.verify(settings, merged, guard)
    for field, value in merged.model_dump(mode="json").items():
        setattr(entry, field, value)
    entry.updated_at = func.now()
    if merged.schedule != current["schedule"] or (merged.enabled and not current["enabled"]):
        entry.scheduled_since = func.now()  # ticks before now were not due under this schedule
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


async def delete_entry(
    session: AsyncSession, stats_data_id: str, *, actor: Actor, origin: Origin
) -> None:
    """Only an entry nothing was published from: otherwise stats serves its data, and the entry
    is what explains where that came from; such an entry is disabled instead."""
    entry = await get_entry(session, stats_data_id)
    current = await repository.versions_of(session, stats_data_id)
    if current["version"] is not None:
        raise EntryHasVersions(
            f"{stats_data_id} has published version {current['version']}; disable it instead "
            '(PATCH {"enabled": false}).',
            extra={"current_version": current["version"]},
        )
    active = await runs.active_run_id(session, stats_data_id)
    if active is not None:
        raise ActiveRunConflict(
            f"{stats_data_id} has an active run ({active}); cancel it first.",
            extra={"active_run_id": str(active)},
        )
    before = entry_snapshot(entry)
    await session.delete(entry)
    await session.flush()
    await AUDIT_LOG.record(
        session,
        actor=actor,
        action="catalog.entry_deleted",
        target_type="catalog_entry",
        target_id=stats_data_id,
        before=before,
        after=None,
        origin=origin,
    )
