"""What the admin API reads and writes, and the answers stats sends over the bus."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chiiki_ingest.catalog import (
    DIMENSION,
    STATS_DATA_ID,
    EntrySpec,
    check_filters,
    check_schedule,
)
from chiiki_ingest.models import CatalogEntry, QualityFinding, Run
from chiiki_ingest.quality import MESSAGES, Check
from chiiki_shared.json_value import JsonValue
from chiiki_shared.pagination import Page

RunStatusName = Literal["queued", "running", "succeeded", "failed", "blocked", "cancelled"]
Filters = dict[str, str | list[str]]

# -- runs -------------------------------------------------------------------------------------


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stats_data_id: str = Field(
        pattern=STATS_DATA_ID, description="e-Stat statsDataId", examples=["0003445099"]
    )
    filters: Filters = Field(
        default_factory=dict,
        description="e-Stat narrowing parameters; the version published holds only these cells",
        examples=[{"cdArea": "13000"}],
    )
    allow_shrink: bool = Field(
        default=False,
        description="publish even when the table has more than its max_shrink fewer cells than "
        "the served version (the volume_drop check then warns instead of blocking)",
    )
    dry_run: bool = Field(
        default=False,
        description="fetch and check only: the run ends `checked` (or `blocked`), nothing is "
        "published",
    )

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: Filters) -> Filters:
        return check_filters(value)


class ErrorInfo(BaseModel):
    code: str | None
    message: str | None


class Counts(BaseModel):
    pages: int | None
    cells: int | None
    batches: int | None
    warnings: int
    blocking: int


class Progress(BaseModel):
    pages_fetched: int = 0
    cells_fetched: int = 0
    cells_total: int | None = None
    batches_sent: int = 0
    batch_count: int | None = None
    fetched_percent: float | None = None
    published_percent: float | None = None
    # While the source is retried: the attempt coming, the error of the last one, when it starts.
    source_attempt: int | None = None
    source_max_attempts: int | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    source_retries: int = 0
    # A retry that took the stored pages of the run it retries (the source unchanged since).
    pages_resumed: int = 0


class Timings(BaseModel):
    queued_at: datetime
    started_at: datetime | None
    published_at: datetime | None
    finished_at: datetime | None
    heartbeat_at: datetime | None
    fetch_seconds: float | None = None
    check_seconds: float | None = None
    publish_seconds: float | None = None
    apply_seconds: float | None = None
    total_seconds: float | None = None


class FindingRead(BaseModel):
    check: str
    severity: Literal["block", "warn"]
    count: int
    message: str
    samples: list[JsonValue]


class RunSummary(BaseModel):
    id: uuid.UUID
    stats_data_id: str
    status: RunStatusName
    phase: str | None
    trigger: str
    outcome: Literal["published", "unchanged", "checked"] | None
    attempt: int
    retry_of: uuid.UUID | None
    filters: Filters
    allow_shrink: bool = False
    dry_run: bool = False
    counts: Counts
    content_hash: str | None
    version: int | None = Field(description="stats' version of the dataset this run produced")
    error: ErrorInfo | None
    queued_at: datetime
    finished_at: datetime | None
    cancel_requested_at: datetime | None = None
    restores_version: int | None = Field(
        default=None, description="a rollback run: the version whose stored pages it publishes"
    )

    @classmethod
    def of(cls, run: Run) -> RunSummary:
        return cls(**_summary_fields(run))


class CheckRead(BaseModel):
    """One quality check of the run's report: passed, or what it found and at what severity."""

    check: str
    result: Literal["pass", "warn", "block"]
    count: int = Field(description="Cells or series it found (0 when it passed)")
    message: str


class RunDetail(RunSummary):
    progress: Progress
    timings: Timings
    quality: list[FindingRead] = Field(description="What the checks found (warn or block)")
    checks: list[CheckRead] = Field(description="Every check the run ran, passes included")
    source_url: str | None
    worker: str | None
    max_rss_bytes: int | None

    @classmethod
    def of_run(cls, run: Run, findings: list[QualityFinding]) -> RunDetail:
        return cls(
            **_summary_fields(run),
            progress=_progress(run.progress or {}),
            timings=Timings(
                queued_at=run.queued_at,
                started_at=run.started_at,
                published_at=run.published_at,
                finished_at=run.finished_at,
                heartbeat_at=run.heartbeat_at,
                **{k: v for k, v in (run.timings or {}).items() if k in Timings.model_fields},
            ),
            quality=[
                FindingRead(
                    check=f.check,
                    severity=f.severity,
                    count=f.count,
                    message=f.message,
                    samples=f.samples,
                )
                for f in findings
            ],
            checks=_checks(run.checks_run or [], findings),
            source_url=run.source_url,
            worker=run.worker,
            max_rss_bytes=run.max_rss_bytes,
        )


def _checks(ran: list[str], findings: list[QualityFinding]) -> list[CheckRead]:
    found = {f.check: f for f in findings}
    return [
        CheckRead(
            check=name,
            result=found[name].severity,
            count=found[name].count,
            message=found[name].message,
        )
        if name in found
        else CheckRead(check=name, result="pass", count=0, message=MESSAGES[Check(name)])
        for name in sorted(set(ran) | set(found))
    ]


def _summary_fields(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "stats_data_id": run.stats_data_id,
        "status": run.status,
        "phase": run.phase,
        "trigger": run.trigger,
        "outcome": run.outcome,
        "attempt": run.attempt,
        "retry_of": run.retry_of,
        "filters": run.filters or {},
        "allow_shrink": run.allow_shrink,
        "dry_run": run.dry_run,
        "counts": Counts(
            pages=run.page_count,
            cells=run.cell_count,
            batches=run.batch_count,
            warnings=run.warning_count,
            blocking=run.blocking_count,
        ),
        "content_hash": run.content_hash,
        "version": run.version,
        "error": ErrorInfo(code=run.error_code, message=run.error)
        if run.error_code or run.error
        else None,
        "queued_at": run.queued_at,
        "finished_at": run.finished_at,
        "cancel_requested_at": run.cancel_requested_at,
        "restores_version": run.restores_version,
    }


def _progress(raw: dict[str, Any]) -> Progress:
    progress = Progress(**{k: v for k, v in raw.items() if k in Progress.model_fields})
    if progress.cells_total:
        progress.fetched_percent = round(100 * progress.cells_fetched / progress.cells_total, 1)
    if progress.batch_count:
        progress.published_percent = round(100 * progress.batches_sent / progress.batch_count, 1)
    return progress


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, le=2**31 - 1, description="the applied version to serve again")


class RunAccepted(BaseModel):
    id: uuid.UUID
    stats_data_id: str
    status: RunStatusName
    trigger: str
    retry_of: uuid.UUID | None = None
    restores_version: int | None = None
    queued_at: datetime
    href: str

    @classmethod
    def of(cls, run: Run) -> RunAccepted:
        return cls(
            id=run.id,
            stats_data_id=run.stats_data_id,
            status=run.status,
            trigger=run.trigger,
            retry_of=run.retry_of,
            restores_version=run.restores_version,
            queued_at=run.queued_at,
            href=f"/api/ingest/runs/{run.id}",
        )


class BusyTable(BaseModel):
    stats_data_id: str
    active_run_id: uuid.UUID | None = Field(description="The run that keeps it busy")


class TickStarted(BaseModel):
    """The daily tick run on demand: the runs it queued, and the tables it skipped."""

    started: list[RunAccepted]
    busy: list[BusyTable] = Field(description="Scheduled tables with a queued or running run")


class RunPage(Page[RunSummary]):
    """A page of runs, newest first."""


# -- catalog ----------------------------------------------------------------------------------


class CatalogEntryCreate(EntrySpec):
    """A table to add to the catalog (same fields as catalog.yaml)."""


class CatalogEntryUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = None
    attribution: str | None = None
    enabled: bool | None = None
    schedule: str | None = None
    area_dimension: str | None = Field(default=None, pattern=DIMENSION)
    time_dimension: str | None = Field(default=None, pattern=DIMENSION)
    filters: Filters | None = None
    quality: dict[str, Literal["block", "warn"]] | None = None
    max_shrink: float | None = Field(default=None, ge=0, le=1)

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str | None) -> str | None:
        return None if value is None else check_schedule(value)

    @field_validator("filters")
    @classmethod
    def _filters(cls, value: Filters | None) -> Filters | None:
        return None if value is None else check_filters(value)


class CurrentVersion(BaseModel):
    version: int | None
    content_hash: str | None
    cell_count: int | None
    applied_at: datetime | None
    run_id: uuid.UUID | None


class CatalogEntryRead(BaseModel):
    stats_data_id: str
    title: str | None
    attribution: str | None
    enabled: bool
    schedule: str
    area_dimension: str
    time_dimension: str
    filters: Filters
    quality: dict[str, str]
    max_shrink: float
    origin: Literal["catalog", "api"]
    created_at: datetime
    updated_at: datetime
    current: CurrentVersion
    active_run_id: uuid.UUID | None = None

    @classmethod
    def of(
        cls, entry: CatalogEntry, current: dict[str, Any], active: uuid.UUID | None = None
    ) -> CatalogEntryRead:
        return cls(
            stats_data_id=entry.stats_data_id,
            title=entry.title,
            attribution=entry.attribution,
            enabled=entry.enabled,
            schedule=entry.schedule,
            area_dimension=entry.area_dimension,
            time_dimension=entry.time_dimension,
            filters=entry.filters or {},
            quality=entry.quality or {},
            max_shrink=entry.max_shrink,
            origin=entry.origin,
            created_at=entry.created_at,
            updated_at=entry.updated_at,
            current=CurrentVersion(**current),
            active_run_id=active,
        )


class CatalogPage(Page[CatalogEntryRead]):
    """A page of the catalog, by statsDataId."""


# -- schedule ---------------------------------------------------------------------------------

OutcomeName = Literal["succeeded", "unchanged", "failed", "blocked", "missed", "pending"]


class TickRead(BaseModel):
    due_at: datetime = Field(description="the time the cron named")
    outcome: OutcomeName = Field(
        description="the tick's run's outcome (`pending` while it runs; `missed`: no tick ran)"
    )
    trigger: str = Field(
        description="`schedule`, or the trigger of the run the tick found active; `none` if missed"
    )
    run_id: uuid.UUID | None = None
    run_href: str | None = None


class ScheduledTable(BaseModel):
    stats_data_id: str
    title: str | None = None
    schedule: str = Field(description="as the catalog has it: `daily` or a cron expression")
    cron: str = Field(description="the five-field cron the schedule means", examples=["0 3 * * *"])
    time_zone: Literal["Asia/Tokyo"] = "Asia/Tokyo"
    scheduled_since: datetime = Field(description="ticks are due from here on")
    last_tick: TickRead | None = Field(description="the latest due tick, null before the first")
    next_tick_at: datetime
    run_now: str = Field(description="POST here to run the table now")


class SchedulePage(Page[ScheduledTable]):
    """Every enabled table on a schedule, by statsDataId."""
