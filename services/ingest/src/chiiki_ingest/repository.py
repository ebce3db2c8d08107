"""All SQL of the ingest service except the run transitions (``runs``). Functions only flush:
the request or task that calls them owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from chiiki_ingest.models import (
    ACTIVE_STATUSES,
    CatalogEntry,
    DatasetVersion,
    QualityFinding,
    Run,
    RunPage,
    RunPhase,
    RunStatus,
    VersionStatus,
)
from chiiki_ingest.quality import Finding

# -- runs ---------------------------------------------------------------------------------------


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> Run | None:
    return await session.get(Run, run_id, populate_existing=True)


@dataclass(frozen=True)
class RunFilter:
    stats_data_id: str | None = None
    status: Sequence[str] = ()
    trigger: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def list_runs(
    session: AsyncSession,
    where: RunFilter,
    *,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> list[Run]:
    """Runs matching ``where``, newest first (ties by id), after the ``(queued_at, id)`` of the
    previous page's last run."""
    conditions: list[Any] = []
    if where.stats_data_id:
        conditions.append(Run.stats_data_id == where.stats_data_id)
    if where.status:
        conditions.append(Run.status.in_(list(where.status)))
    if where.trigger:
        conditions.append(Run.trigger == where.trigger)
    if where.since:
        conditions.append(Run.queued_at >= where.since)
    if where.until:
        conditions.append(Run.queued_at < where.until)
    if after is not None:
        queued_at, run_id = after
        conditions.append(
            sa.or_(
                Run.queued_at < queued_at,
                sa.and_(Run.queued_at == queued_at, Run.id > run_id),
            )
        )
    rows = await session.scalars(
        sa.select(Run).where(*conditions).order_by(Run.queued_at.desc(), Run.id).limit(limit)
    )
    return list(rows)


def _seconds_ago(seconds: float) -> Any:
    """``now() - seconds`` on the database's clock, the one ``heartbeat_at`` is written with."""
    return sa.func.now() - sa.func.make_interval(0, 0, 0, 0, 0, 0, seconds)


async def runs_to_recover(
    session: AsyncSession, *, lease_seconds: float, queued_seconds: float
) -> list[Run]:
    """Running runs whose lease ran out (no heartbeat for ``lease_seconds``), and queued runs
    nobody picked up within ``queued_seconds``."""
    stale = sa.and_(
        Run.status == RunStatus.RUNNING.value,
        sa.func.coalesce(Run.phase, "") != RunPhase.APPLYING.value,
        sa.func.coalesce(Run.heartbeat_at, Run.queued_at) < _seconds_ago(lease_seconds),
    )
    forgotten = sa.and_(
        Run.status == RunStatus.QUEUED.value,
        sa.func.coalesce(Run.heartbeat_at, Run.queued_at) < _seconds_ago(queued_seconds),
    )
    rows = await session.scalars(
        sa.select(Run)
        .where(sa.or_(stale, forgotten))
        .order_by(Run.queued_at)
        .with_for_update(skip_locked=True)
    )
    return list(rows)


async def runs_past_apply_deadline(session: AsyncSession, deadline: datetime) -> list[Run]:
    rows = await session.scalars(
        sa.select(Run).where(
            Run.status == RunStatus.RUNNING.value,
            Run.phase == RunPhase.APPLYING.value,
            sa.func.coalesce(Run.published_at, Run.heartbeat_at) < deadline,
        )
    )
    return list(rows)


async def mark_resent(session: AsyncSession, run_id: uuid.UUID) -> None:
    """Recovery re-sent the run: count from now before it is considered lost again."""
    await session.execute(sa.update(Run).where(Run.id == run_id).values(heartbeat_at=sa.func.now()))


# -- raw pages ----------------------------------------------------------------------------------


async def page_records(session: AsyncSession, run_id: uuid.UUID) -> list[RunPage]:
    """The run's stored pages in order, without their bodies."""
    rows = await session.scalars(
        sa.select(RunPage)
        .options(defer(RunPage.body))
        .where(RunPage.run_id == run_id)
        .order_by(RunPage.page_index)
    )
    return list(rows)


async def page_body(session: AsyncSession, run_id: uuid.UUID, page_index: int) -> bytes | None:
    return await session.scalar(
        sa.select(RunPage.body).where(RunPage.run_id == run_id, RunPage.page_index == page_index)
    )


_PAGE_KEY = ("run_id", "page_index")


async def store_page(session: AsyncSession, page: RunPage) -> None:
    """Insert a page; a page a lost worker already stored under the same index is replaced."""
    values = {
        column.key: getattr(page, column.key)
        for column in RunPage.__table__.columns
        if column.key != "fetched_at"
    }
    statement = insert(RunPage).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[RunPage.run_id, RunPage.page_index],
        set_={key: statement.excluded[key] for key in values if key not in _PAGE_KEY},
    )
    await session.execute(statement)


async def prune_pages(
    session: AsyncSession, stats_data_id: str, keep_runs: int, *, keep_versions: int = 1
) -> int:
    """Drop the page bodies of a dataset's finished runs, except the newest ``keep_runs`` runs and
    the runs of its newest ``keep_versions`` applied versions (the current one for the next run's
    jump check, the others for rollbacks). Rows stay."""
    kept = list(await session.scalars(_newest_applied_runs(stats_data_id, keep_versions)))
    newest = (
        sa.select(Run.id)
        .where(Run.stats_data_id == stats_data_id)
        .order_by(Run.queued_at.desc())
        .limit(keep_runs)
    )
    finished = sa.select(Run.id).where(
        Run.stats_data_id == stats_data_id,
        Run.status.not_in([s.value for s in ACTIVE_STATUSES]),
        Run.id.not_in(newest),
        Run.id.not_in(kept) if kept else sa.true(),
    )
    result = await session.execute(
        sa.update(RunPage)
        .where(RunPage.run_id.in_(finished), RunPage.body.is_not(None))
        .values(body=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- quality ------------------------------------------------------------------------------------


async def replace_findings(
    session: AsyncSession,
    run_id: uuid.UUID,
    findings: Sequence[Finding],
    checks_run: Sequence[str] = (),
) -> None:
    """The run's quality report: what each check found, and which checks ran at all."""
    await session.execute(sa.delete(QualityFinding).where(QualityFinding.run_id == run_id))
    await session.execute(
        sa.update(Run).where(Run.id == run_id).values(checks_run=list(checks_run))
    )
    for finding in findings:
        session.add(
            QualityFinding(
                run_id=run_id,
                check=finding.check.value,
                severity=finding.severity.value,
                count=finding.count,
                message=finding.message,
                samples=finding.samples,
            )
        )
    await session.flush()


async def findings_of(session: AsyncSession, run_id: uuid.UUID) -> list[QualityFinding]:
    rows = await session.scalars(
        sa.select(QualityFinding)
        .where(QualityFinding.run_id == run_id)
        .order_by(QualityFinding.severity, QualityFinding.check)
    )
    return list(rows)


def _newest_applied_runs(stats_data_id: str, count: int) -> sa.Select[uuid.UUID]:
    return (
        sa.select(DatasetVersion.run_id)
        .where(
            DatasetVersion.stats_data_id == stats_data_id,
            DatasetVersion.status == VersionStatus.APPLIED.value,
        )
        .order_by(DatasetVersion.answered_at.desc().nulls_last(), DatasetVersion.version.desc())
        .limit(count)
    )


async def copy_pages(session: AsyncSession, source: uuid.UUID, target: uuid.UUID) -> int:
    """Give run ``target`` the stored pages of run ``source`` (a rollback reads them as its own)."""
    columns = [c.name for c in RunPage.__table__.columns if c.name not in ("run_id", "fetched_at")]
    selected = sa.select(
        sa.literal(target, RunPage.run_id.type), *[RunPage.__table__.c[n] for n in columns]
    )
    result = await session.execute(
        sa.insert(RunPage).from_select(
            ["run_id", *columns], selected.where(RunPage.run_id == source)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def pages_retained(session: AsyncSession, run_id: uuid.UUID) -> bool:
    """Whether every page of the run is still stored, up to the last one."""
    records = await page_records(session, run_id)
    missing = await session.scalar(
        sa.select(sa.func.count()).where(RunPage.run_id == run_id, RunPage.body.is_(None))
    )
    return bool(records) and records[-1].next_key is None and not missing


# -- versions -----------------------------------------------------------------------------------


async def latest_applied(session: AsyncSession, stats_data_id: str) -> DatasetVersion | None:
    return await session.scalar(
        sa.select(DatasetVersion)
        .where(
            DatasetVersion.stats_data_id == stats_data_id,
            DatasetVersion.status == VersionStatus.APPLIED.value,
        )
        .order_by(DatasetVersion.answered_at.desc().nulls_last(), DatasetVersion.version.desc())
        .limit(1)
    )


async def applied_version(
    session: AsyncSession, stats_data_id: str, version: int
) -> DatasetVersion | None:
    return await session.scalar(
        sa.select(DatasetVersion).where(
            DatasetVersion.stats_data_id == stats_data_id,
            DatasetVersion.version == version,
            DatasetVersion.status == VersionStatus.APPLIED.value,
        )
    )


async def version_of_run(session: AsyncSession, run_id: uuid.UUID) -> DatasetVersion | None:
    return await session.get(DatasetVersion, run_id, populate_existing=True)


async def record_version(session: AsyncSession, version: DatasetVersion) -> None:
    """The version a run publishes; recording it again (a resumed run) changes nothing."""
    statement = (
        insert(DatasetVersion)
        .values(
            run_id=version.run_id,
            stats_data_id=version.stats_data_id,
            content_hash=version.content_hash,
            cell_count=version.cell_count,
            batch_count=version.batch_count,
        )
        .on_conflict_do_nothing(index_elements=[DatasetVersion.run_id])
    )
    await session.execute(statement)


async def answer_version(
    session: AsyncSession,
    run_id: uuid.UUID,
    status: VersionStatus,
    *,
    version: int | None = None,
    reason: str | None = None,
    answered_at: datetime | None = None,
) -> None:
    await session.execute(
        sa.update(DatasetVersion)
        .where(DatasetVersion.run_id == run_id)
        .values(
            status=status.value,
            version=version,
            reason=reason,
            answered_at=answered_at or sa.func.now(),
        )
    )


async def versions_of(session: AsyncSession, stats_data_id: str) -> dict[str, Any]:
    """The dataset's current version and how many were applied, for the catalog listing."""
    current = await latest_applied(session, stats_data_id)
    return {
        "version": current.version if current else None,
        "content_hash": current.content_hash if current else None,
        "cell_count": current.cell_count if current else None,
        "applied_at": current.answered_at if current else None,
        "run_id": current.run_id if current else None,
    }


# -- catalog ------------------------------------------------------------------------------------


async def list_catalog(
    session: AsyncSession, *, limit: int, after: str | None = None
) -> list[CatalogEntry]:
    query = sa.select(CatalogEntry).order_by(CatalogEntry.stats_data_id).limit(limit)
    if after is not None:
        query = query.where(CatalogEntry.stats_data_id > after)
    return list(await session.scalars(query))


async def get_entry(session: AsyncSession, stats_data_id: str) -> CatalogEntry | None:
    return await session.get(CatalogEntry, stats_data_id, populate_existing=True)


async def entries_on_schedule(session: AsyncSession, schedule: str) -> list[CatalogEntry]:
    rows = await session.scalars(
        sa.select(CatalogEntry)
        .where(CatalogEntry.enabled.is_(True), CatalogEntry.schedule == schedule)
        .order_by(CatalogEntry.stats_data_id)
    )
    return list(rows)


async def entries_without_version(session: AsyncSession) -> list[CatalogEntry]:
    """Enabled entries with no applied version yet (what a fresh stack has to load)."""
    applied = sa.select(DatasetVersion.stats_data_id).where(
        DatasetVersion.status == VersionStatus.APPLIED.value
    )
    rows = await session.scalars(
        sa.select(CatalogEntry)
        .where(CatalogEntry.enabled.is_(True), CatalogEntry.stats_data_id.not_in(applied))
        .order_by(CatalogEntry.stats_data_id)
    )
    return list(rows)


async def upsert_catalog_spec(session: AsyncSession, values: dict[str, Any]) -> None:
    """Write a catalog.yaml entry unless the file's entry is unchanged since it was last applied:
    then the row keeps whatever the admin API changed in the meantime."""
    statement = insert(CatalogEntry).values(**values, origin="catalog")
    updated = {key: statement.excluded[key] for key in values if key != "stats_data_id"}
    # Ticks are due from the moment the table is (again) on a schedule.
    rescheduled = sa.or_(
        CatalogEntry.schedule.is_distinct_from(statement.excluded.schedule),
        sa.and_(CatalogEntry.enabled.is_(False), statement.excluded.enabled.is_(True)),
    )
    since = sa.case((rescheduled, sa.func.now()), else_=CatalogEntry.scheduled_since)
    statement = statement.on_conflict_do_update(
        index_elements=[CatalogEntry.stats_data_id],
        set_={
            **updated,
            "origin": "catalog",
            "updated_at": sa.func.now(),
            "scheduled_since": since,
        },
        where=CatalogEntry.spec_hash.is_distinct_from(statement.excluded.spec_hash),
    )
    await session.execute(statement)


async def disable_removed_specs(session: AsyncSession, kept: Sequence[str]) -> None:
    """Entries that came from catalog.yaml and left it are no longer scheduled."""
    await session.execute(
        sa.update(CatalogEntry)
        .where(
            CatalogEntry.origin == "catalog",
            CatalogEntry.stats_data_id.not_in(list(kept)) if kept else sa.true(),
            CatalogEntry.spec_hash.is_not(None),
        )
        .values(enabled=False, spec_hash=None, updated_at=sa.func.now())
    )
