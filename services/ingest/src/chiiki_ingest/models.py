"""Tables of the ingest service, all in the ``ingest`` schema.

- ``catalog_entries``: the live catalog (seeded from ``catalog.yaml``, editable through the API).
- ``runs``: one ingestion of one e-Stat table, with its state, progress, counts and timings.
- ``run_pages``: the raw getStatsData pages a run fetched, gzip-compressed; a killed run resumes
  from them, and the jump check reads the previous version from them.
- ``quality_findings``: one row per check that found something in a run.
- ``dataset_versions``: what a run published to stats, its content hash and stats' answer.
- ``schedule_ticks``: one row per catalog table and due schedule tick: the run the tick queued (or
  found active), or the watchdog's note that the tick never ran (see ``ticks``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chiiki_shared.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("ingest")


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"


class RunPhase(StrEnum):
    """Where a running run is; ``applying`` waits for stats' answer."""

    FETCHING = "fetching"
    CHECKING = "checking"
    PUBLISHING = "publishing"
    APPLYING = "applying"
    DONE = "done"


class VersionStatus(StrEnum):
    PUBLISHING = "publishing"
    APPLIED = "applied"
    REJECTED = "rejected"


ACTIVE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)
_ACTIVE_SQL = "status IN ('queued', 'running')"

STATS_DATA_ID_LENGTH = 64


def _values(enum: type[StrEnum]) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class CatalogEntry(Base):
    __tablename__ = "catalog_entries"

    stats_data_id: Mapped[str] = mapped_column(String(STATS_DATA_ID_LENGTH), primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    attribution: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(server_default=text("true"))
    schedule: Mapped[str] = mapped_column(String(64), server_default="daily")
    area_dimension: Mapped[str] = mapped_column(String(16), server_default="area")
    time_dimension: Mapped[str] = mapped_column(String(16), server_default="time")
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    quality: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # The largest fall in cells from the served version a run may publish (0.1: 10 %).
    max_shrink: Mapped[float] = mapped_column(Float, server_default=text("0.1"))
    # `catalog` entries come from catalog.yaml, `api` entries were added through the admin API.
    origin: Mapped[str] = mapped_column(String(16), server_default="api")
    # Hash of the catalog.yaml entry last applied: the file wins only when it changed since.
    spec_hash: Mapped[str | None] = mapped_column(String(80))
    # Ticks are due from here on: set when the entry is created, enabled or its schedule changes.
    scheduled_since: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    __table_args__ = (
        CheckConstraint("origin IN ('catalog', 'api')", name="origin"),
        CheckConstraint("area_dimension <> time_dimension", name="distinct_dimensions"),
    )


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    stats_data_id: Mapped[str] = mapped_column(String(STATS_DATA_ID_LENGTH))
    status: Mapped[str] = mapped_column(String(16), server_default=RunStatus.QUEUED.value)
    phase: Mapped[str | None] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    # The admin accepts a version with fewer cells than ``max_shrink`` allows (volume_drop warns).
    allow_shrink: Mapped[bool] = mapped_column(server_default=text("false"))
    retry_of: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("runs.id", ondelete="SET NULL")
    )
    attempt: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    # pages_fetched, cells_fetched, cells_total, batches_sent, batch_count
    progress: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    page_count: Mapped[int | None] = mapped_column(Integer)
    cell_count: Mapped[int | None] = mapped_column(Integer)
    batch_count: Mapped[int | None] = mapped_column(Integer)
    warning_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    blocking_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    content_hash: Mapped[str | None] = mapped_column(String(80))
    version: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    # The e-Stat base URL the run read from; the application id is never part of it.
    source_url: Mapped[str | None] = mapped_column(Text)
    # fetch_seconds, check_seconds, publish_seconds, apply_seconds, total_seconds
    timings: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    max_rss_bytes: Mapped[int | None] = mapped_column(BigInteger)
    worker: Mapped[str | None] = mapped_column(String(200))
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Refreshed while a worker holds the run (and when recovery re-sends it).
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A dry run fetches and checks, then ends without publishing (outcome `checked`).
    dry_run: Mapped[bool] = mapped_column(server_default=text("false"))
    # The quality checks the run ran, by name: with its findings, the whole report (passes too).
    checks_run: Mapped[list[str]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))
    # A rollback run publishes this version's stored pages again (no source request).
    restores_version: Mapped[int | None] = mapped_column(Integer)
    # Set by POST /runs/{id}/cancel; the worker stops at its next page or batch boundary.
    cancel_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"status IN ({_values(RunStatus)})", name="status"),
        CheckConstraint(f"phase IS NULL OR phase IN ({_values(RunPhase)})", name="phase"),
        # The lock that admits runs: at most one queued or running run per dataset.
        Index(
            "uq_runs_one_active_per_dataset",
            "stats_data_id",
            unique=True,
            postgresql_where=text(_ACTIVE_SQL),
        ),
        Index("ix_runs_stats_data_id_queued_at", "stats_data_id", "queued_at"),
        Index("ix_runs_status_queued_at", "status", "queued_at"),
    )


class RunPage(Base):
    __tablename__ = "run_pages"

    run_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    page_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_position: Mapped[int] = mapped_column(Integer)
    next_key: Mapped[int | None] = mapped_column(Integer)
    cell_count: Mapped[int] = mapped_column(Integer)
    total_number: Mapped[int] = mapped_column(Integer)
    body_bytes: Mapped[int] = mapped_column(Integer)
    stored_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # gzip of the response body as e-Stat sent it; NULL once pruned (the row stays as a record).
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class QualityFinding(Base):
    __tablename__ = "quality_findings"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("runs.id", ondelete="CASCADE")
    )
    check: Mapped[str] = mapped_column(String(32))
    severity: Mapped[str] = mapped_column(String(8))
    count: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(Text)
    samples: Mapped[list[Any]] = mapped_column(JSONB, server_default=text("'[]'::jsonb"))

    __table_args__ = (
        UniqueConstraint("run_id", "check"),
        CheckConstraint("severity IN ('block', 'warn')", name="severity"),
    )


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"

    run_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
    )
    stats_data_id: Mapped[str] = mapped_column(String(STATS_DATA_ID_LENGTH))
    content_hash: Mapped[str] = mapped_column(String(80))
    cell_count: Mapped[int] = mapped_column(Integer)
    batch_count: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), server_default=VersionStatus.PUBLISHING.value)
    version: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint(f"status IN ({_values(VersionStatus)})", name="status"),
        Index("ix_dataset_versions_stats_data_id_status", "stats_data_id", "status"),
    )


class ScheduleTick(Base):
    __tablename__ = "schedule_ticks"

    stats_data_id: Mapped[str] = mapped_column(String(STATS_DATA_ID_LENGTH), primary_key=True)
    # The time the cron named (Asia/Tokyo schedules, stored in UTC).
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    schedule: Mapped[str] = mapped_column(String(64))
    # The run whose outcome is the tick's: the one it queued, or the active run it found.
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), ForeignKey("runs.id", ondelete="SET NULL")
    )
    # The trigger of that run: `schedule`, `run-now` or whatever started the active run.
    trigger: Mapped[str | None] = mapped_column(String(16))
    ticked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set once by the watchdog when the tick had not run in time; kept if it runs late.
    missed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        CheckConstraint("ticked_at IS NOT NULL OR missed_at IS NOT NULL", name="recorded"),
        Index("ix_schedule_ticks_due_at", "due_at"),
    )
