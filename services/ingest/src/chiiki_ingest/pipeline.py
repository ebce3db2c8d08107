"""One ingestion run, start to finish: fetch pages -> normalise and validate -> quality checks ->
content hash -> publish the version to stats in batches -> wait for stats' answer (``tasks``).

Every step records what it did before the next starts, in its own short transaction, so a worker
that dies anywhere leaves a run the next delivery can resume: stored pages are not fetched again,
the checks and the hash are recomputed from them (they are deterministic), and batches are re-sent
from the last one recorded (stats keeps one copy per batch index).
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import time
import uuid
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_ingest import alerts, estat_guard, incremental, publishing, repository, resume, runs
from chiiki_ingest.catalog import DEFAULT_MAX_SHRINK, severity_overrides
from chiiki_ingest.cells import Content, Normaliser, sort_rows
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.estat import (
    EStatAuthError,
    EStatError,
    EStatHTTPError,
    EStatRequestError,
    EStatServerError,
    EStatUnavailable,
)
from chiiki_ingest.estat.client import Guard, RetryNotice
from chiiki_ingest.heartbeat import Heartbeat
from chiiki_ingest.locks import dataset_lock
from chiiki_ingest.models import (
    ACTIVE_STATUSES,
    CatalogEntry,
    DatasetVersion,
    Run,
    RunPage,
    RunPhase,
    RunStatus,
    VersionStatus,
)
from chiiki_ingest.quality import (
    JumpRule,
    Report,
    SeriesView,
    Served,
    Severity,
    check_against_previous,
    check_table,
    check_volume,
    severities,
)
from chiiki_ingest.source import FetchedPage, SourceProblem, fetch_pages, stored_page
from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime

logger = structlog.get_logger("chiiki_ingest.pipeline")

ERROR_CODES: tuple[tuple[type[Exception], str], ...] = (
    (EStatAuthError, "estat-auth"),
    (EStatRequestError, "estat-request"),
    (EStatServerError, "estat-server"),
    (EStatHTTPError, "estat-http"),
    (EStatUnavailable, "estat-unavailable"),
    (EStatError, "estat-error"),
)


class Cancelled(Exception):
    """An admin asked to cancel the run; raised at the next page or batch boundary."""


def error_message(error: Exception) -> str:
    """The error, naming the page of the source that failed when there was one."""
    position = getattr(error, "start_position", None)
    return f"page at startPosition {position}: {error}" if position else str(error)


def error_code(error: Exception) -> str:
    if isinstance(error, SourceProblem):
        return error.code
    return next((code for kind, code in ERROR_CODES if isinstance(error, kind)), "internal-error")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Options:
    """What the catalog says about a table (defaults for tables ingested ad hoc)."""

    area_dimension: str = "area"
    time_dimension: str = "time"
    attribution: str | None = None
    quality: dict[str, str] | None = None
    max_shrink: float = DEFAULT_MAX_SHRINK

    @classmethod
    def of(cls, entry: CatalogEntry | None) -> Options:
        if entry is None:
            return cls()
        return cls(
            entry.area_dimension,
            entry.time_dimension,
            entry.attribution,
            severity_overrides(entry.quality),
            entry.max_shrink,
        )

    def normaliser_options(self) -> dict[str, Any]:
        return {"area_dimension": self.area_dimension, "time_dimension": self.time_dimension}


class Pipeline:
    def __init__(self, runtime: Runtime, settings: IngestSettings, bus: publishing.Bus) -> None:
        self.runtime = runtime
        self.settings = settings
        self.bus = bus
        self.worker = worker_name()

    def session(self) -> Any:
        return session_scope(self.runtime.sessions)

    # -- entry point --------------------------------------------------------------------------

    async def run(self, run_id: uuid.UUID) -> str:
        """Execute or resume a run; returns what happened (for logs and tests)."""
        async with self.session() as session:
            run = await repository.get_run(session, run_id)
        if run is None:
            return "unknown-run"
        if run.status not in ACTIVE_STATUSES:
            return f"already-{run.status}"
        async with dataset_lock(self.runtime.engine, run.stats_data_id) as held:
            if not held:
                logger.info("ingest.run_locked", run_id=str(run_id), dataset=run.stats_data_id)
                return "locked"
            return await self._run_locked(run_id)

    async def _run_locked(self, run_id: uuid.UUID) -> str:
        async with self.session() as session:
            run = await repository.get_run(session, run_id)
            if run is None or run.status not in ACTIVE_STATUSES:
                return "finished-meanwhile"
            if run.phase == RunPhase.APPLYING.value:
                return "awaiting-stats"
            attempts = run.attempt
            exhausted = attempts >= self.settings.max_attempts
            if not exhausted:
                run = await runs.start(session, run_id, self.worker)
        if exhausted:
            message = f"gave up after {attempts} attempts (the worker was lost each time)"
            await self.fail(run_id, "attempts-exhausted", message)
            return "failed"
        if run is None:
            return "not-started"
        log = logger.bind(run_id=str(run_id), dataset=run.stats_data_id, attempt=run.attempt)
        log.info("ingest.run_started", phase=run.phase, trigger=run.trigger)
        with Heartbeat(self.settings, run_id):
            try:
                if run.cancel_requested_at is not None:
                    raise Cancelled
                outcome = await self._execute(run)
            except Cancelled:
                outcome = await self._cancel(run_id)
            except (EStatError, SourceProblem) as error:
                log.warning("ingest.run_source_error", error_type=type(error).__name__)
                await self.fail(run_id, error_code(error), error_message(error))
                outcome = "failed"
            except Exception as error:
                log.exception("ingest.run_crashed")
                await self.fail(run_id, "internal-error", f"{type(error).__name__}: {error}")
                outcome = "failed"
        log.info("ingest.run_step_done", outcome=outcome)
        return outcome

    # -- the steps ------------------------------------------------------------------------------

    async def _execute(self, run: Run) -> str:
        started = time.monotonic()
        guard = estat_guard.guard(self.runtime.redis, self.settings)
        standing = await incremental.served_if_not_updated(self.session, self.settings, run, guard)
        if standing is not None:
            return await self._not_updated(run, standing, time.monotonic() - started)
        async with self.session() as session:
            options = Options.of(await repository.get_entry(session, run.stats_data_id))
        report = Report(severities(options.quality))
        content = await self._fetch(run, options, report, guard)
        fetched = time.monotonic()
        await self._advance(run.id, RunPhase.CHECKING, {"fetch_seconds": fetched - started})

        sort_rows(content)
        check_table(content.layout, content.rows, content.total_number, report)
        digest = publishing.content_hash(content.layout.dimensions, content.rows)
        async with self.session() as session:
            current = await repository.latest_applied(session, run.stats_data_id)
        if current is not None and current.content_hash == digest and not report.blocked:
            timings = {
                "check_seconds": time.monotonic() - fetched,
                "total_seconds": time.monotonic() - started,
            }
            return await self._unchanged(run, content, digest, current, report, timings)
        if current is not None:
            served = Served(current.version, current.cell_count)
            check_volume(len(content.rows), served, options.max_shrink, run.allow_shrink, report)
        previous = await self._previous(current, options)
        if previous is not None:
            view = SeriesView.of(content.layout, content.rows)
            check_against_previous(view, previous, self._jump_rule(), report)
            del view, previous
        counts = {
            "cell_count": len(content.rows),
            "content_hash": digest,
            "warning_count": report.count(Severity.WARN),
            "blocking_count": report.count(Severity.BLOCK),
        }
        checked = time.monotonic()
        if run.dry_run and not report.blocked:
            return await self._checked(run, report, counts, checked - fetched)
        if report.blocked:
            return await self._blocked(run, report, counts, checked - fetched)
        return await self._publish(run, content, digest, options, report, counts, checked - fetched)

    async def _fetch(self, run: Run, options: Options, report: Report, guard: Guard) -> Content:
        problem = self.settings.estat_app_id_problem()
        if problem:
            raise SourceProblem("estat-config", problem)
        normaliser: Normaliser | None = None
        await resume.adopt_pages(self.session, self.settings, run, guard)
        async with self.session() as session:
            records = await repository.page_records(session, run.id)
        for record in records:
            async with self.session() as session:
                body = await repository.page_body(session, run.id, record.page_index)
            if body is None:
                raise SourceProblem("page-missing", f"stored page {record.page_index} is gone")
            known = normaliser.dimensions if normaliser else ()
            page = stored_page(body, known)
            del body
            if normaliser is None:
                normaliser = Normaliser(page, report, **options.normaliser_options())
            normaliser.add_page(page)
            del page  # one parsed page in memory at a time
        complete = bool(records) and records[-1].next_key is None
        if not complete:
            pages = fetch_pages(
                self.settings,
                run.stats_data_id,
                run.filters,
                start_index=len(records),
                start_position=(records[-1].next_key or 1) if records else 1,
                dimensions=normaliser.dimensions if normaliser else (),
                on_retry=self._retry_recorder(run),
                guard=guard,
            )
            # Closed at once when the run stops early (a cancel), not whenever it is collected.
            async with aclosing(pages):
                async for fetched in pages:
                    await self._store(run.id, fetched)
                    fetched.read_ahead()  # stored and not cancelled: the next page may travel
                    if normaliser is None:
                        normaliser = Normaliser(
                            fetched.page, report, **options.normaliser_options()
                        )
                    # In a thread, so the loop sends and receives the page read ahead meanwhile
                    # (only this coroutine touches the normaliser, one page at a time).
                    await asyncio.to_thread(normaliser.add_page, fetched.page)
                    del fetched
        if normaliser is None:
            raise SourceProblem("no-data", f"no pages for {run.stats_data_id}")
        return normaliser.content

    def _retry_recorder(self, run: Run) -> Any:
        """What the run's API shows while the source is retried: the attempt coming, the error
        of the one that failed and when the next starts (kept: ``source_retries``)."""
        retries = int((run.progress or {}).get("source_retries") or 0)

        async def record(notice: RetryNotice) -> None:
            nonlocal retries
            retries += 1
            at = datetime.now(UTC) + timedelta(seconds=notice.wait_seconds)
            where = f" at startPosition {notice.start_position}" if notice.start_position else ""
            async with self.session() as session:
                await runs.record_progress(
                    session,
                    run.id,
                    source_attempt=notice.attempt + 1,
                    source_max_attempts=notice.max_attempts,
                    last_error=f"{notice.endpoint}{where}, attempt {notice.attempt} of "
                    f"{notice.max_attempts}: {notice.error}",
                    next_attempt_at=at.isoformat(),
                    source_retries=retries,
                )

        return record

    async def _stop_if_cancelled(self, run_id: uuid.UUID) -> None:
        """A page or batch boundary: what was done so far stays committed."""
        async with self.session() as session:
            asked = await runs.cancel_requested(session, run_id)
        if asked:
            raise Cancelled

    async def _cancel(self, run_id: uuid.UUID) -> str:
        """End a run an admin cancelled: nothing was sent to stats to apply, so the served
        version stays as it was; batches stats may have staged are never published."""
        async with self.session() as session:
            cancelled = await runs.finish(
                session,
                run_id,
                RunStatus.CANCELLED,
                error_code=runs.CANCELLED,
                error="cancelled by an admin; stopped at a page or batch boundary",
                page_count=await self._page_count(session, run_id),
                max_rss_bytes=peak_rss_bytes(),
            )
            await repository.answer_version(
                session, run_id, VersionStatus.REJECTED, reason="run cancelled"
            )
            if cancelled is not None:
                await repository.prune_pages(
                    session,
                    cancelled.stats_data_id,
                    self.settings.raw_pages_keep_runs,
                    keep_versions=self.settings.retention_versions,
                )
        logger.info("ingest.run_cancelled", run_id=str(run_id))
        return "cancelled"

    async def _store(self, run_id: uuid.UUID, fetched: FetchedPage) -> None:
        # zlib lets go of the GIL: the loop meanwhile reads the page sent ahead, if any.
        compressed = await asyncio.to_thread(fetched.compressed)
        if len(compressed) > self.settings.raw_page_max_bytes:
            raise SourceProblem(
                "page-too-large",
                f"page {fetched.index + 1} is {len(compressed)} bytes compressed, more than "
                f"INGEST_RAW_PAGE_MAX_BYTES={self.settings.raw_page_max_bytes}; lower "
                "INGEST_PAGE_SIZE",
            )
        page = fetched.page
        record = RunPage(
            run_id=run_id,
            page_index=fetched.index,
            start_position=fetched.start_position,
            next_key=page.next_key,
            cell_count=page.cell_count,
            total_number=page.total_number,
            body_bytes=len(fetched.body),
            stored_bytes=len(compressed),
            sha256=fetched.sha256,
            body=compressed,
        )
        cells_before = (page.from_number or fetched.start_position) - 1
        async with self.session() as session:
            await repository.store_page(session, record)
            await runs.record_progress(
                session,
                run_id,
                pages_fetched=fetched.index + 1,
                cells_fetched=cells_before + page.cell_count,
                cells_total=page.total_number,
                source_attempt=None,
                next_attempt_at=None,
            )
        await self._stop_if_cancelled(run_id)

    async def _previous(
        self, current: DatasetVersion | None, options: Options
    ) -> SeriesView | None:
        """The current version's series, read back from its stored pages (None if pruned)."""
        if current is None:
            return None
        async with self.session() as session:
            records = await repository.page_records(session, current.run_id)
        if not records or records[-1].next_key is not None:
            return None
        normaliser: Normaliser | None = None
        view: SeriesView | None = None
        for record in records:
            async with self.session() as session:
                body = await repository.page_body(session, current.run_id, record.page_index)
            if body is None:
                return None
            page = stored_page(body, normaliser.dimensions if normaliser else ())
            del body
            if normaliser is None:
                normaliser = Normaliser(page, Report(), **options.normaliser_options())
                view = SeriesView(normaliser.content.layout, {}, {})
            normaliser.add_page(page)
            del page
            # The previous version is only needed by series: its rows go page by page.
            view.add(normaliser.content.rows)  # type: ignore[union-attr]
            normaliser.content.rows.clear()
        return view

    def _jump_rule(self) -> JumpRule:
        return JumpRule(
            z_threshold=self.settings.jump_z_threshold,
            min_deviation=self.settings.jump_min_deviation,
            min_history=self.settings.jump_min_history,
        )

    async def _unchanged(
        self,
        run: Run,
        content: Content,
        digest: str,
        current: DatasetVersion,
        report: Report,
        timings: dict[str, float],
    ) -> str:
        async with self.session() as session:
            await repository.replace_findings(
                session, run.id, report.findings(), report.checks_run()
            )
            await runs.finish(
                session,
                run.id,
                RunStatus.SUCCEEDED,
                outcome="unchanged",
                version=current.version,
                content_hash=digest,
                cell_count=len(content.rows),
                page_count=await self._page_count(session, run.id),
                warning_count=report.count(Severity.WARN),
                timings=timings,
                max_rss_bytes=peak_rss_bytes(),
            )
            await repository.prune_pages(
                session,
                run.stats_data_id,
                self.settings.raw_pages_keep_runs,
                keep_versions=self.settings.retention_versions,
            )
        logger.info("ingest.run_unchanged", run_id=str(run.id), version=current.version)
        return "unchanged"

    async def _not_updated(self, run: Run, served: DatasetVersion, seconds: float) -> str:
        """The source's UPDATED_DATE has not moved: the served version stands, nothing fetched."""
        async with self.session() as session:
            await repository.replace_findings(session, run.id, [])
            await runs.finish(
                session,
                run.id,
                RunStatus.SUCCEEDED,
                outcome="unchanged",
                version=served.version,
                content_hash=served.content_hash,
                cell_count=served.cell_count,
                page_count=0,
                warning_count=0,
                timings={"total_seconds": seconds},
                max_rss_bytes=peak_rss_bytes(),
            )
        logger.info("ingest.run_unchanged", run_id=str(run.id), version=served.version)
        return "unchanged"

    async def _blocked(
        self, run: Run, report: Report, counts: dict[str, Any], check_seconds: float
    ) -> str:
        async with self.session() as session:
            await repository.replace_findings(
                session, run.id, report.findings(), report.checks_run()
            )
            finished = await runs.finish(
                session,
                run.id,
                RunStatus.BLOCKED,
                error_code="quality-blocked",
                error="quality checks blocked publishing: "
                + ", ".join(f.check.value for f in report.findings() if f.severity == "block"),
                page_count=await self._page_count(session, run.id),
                timings={"check_seconds": check_seconds},
                max_rss_bytes=peak_rss_bytes(),
                **counts,
            )
            findings = await repository.findings_of(session, run.id)
            await repository.prune_pages(
                session,
                run.stats_data_id,
                self.settings.raw_pages_keep_runs,
                keep_versions=self.settings.retention_versions,
            )
        if finished is not None and not run.dry_run:  # a dry run's findings are its answer
            await alerts.alert_run_failed(self.settings, finished, findings)
        return "blocked"

    async def _checked(
        self, run: Run, report: Report, counts: dict[str, Any], check_seconds: float
    ) -> str:
        """A dry run that would publish: its report is recorded, nothing leaves for stats."""
        async with self.session() as session:
            await repository.replace_findings(
                session, run.id, report.findings(), report.checks_run()
            )
            await runs.finish(
                session,
                run.id,
                RunStatus.SUCCEEDED,
                outcome="checked",
                page_count=await self._page_count(session, run.id),
                timings={"check_seconds": check_seconds},
                max_rss_bytes=peak_rss_bytes(),
                **counts,
            )
            await repository.prune_pages(
                session,
                run.stats_data_id,
                self.settings.raw_pages_keep_runs,
                keep_versions=self.settings.retention_versions,
            )
        logger.info("ingest.run_checked", run_id=str(run.id), dataset=run.stats_data_id)
        return "checked"

    async def _publish(
        self,
        run: Run,
        content: Content,
        digest: str,
        options: Options,
        report: Report,
        counts: dict[str, Any],
        check_seconds: float,
    ) -> str:
        # A resumed run keeps the batch size it started publishing with: stats stages batches
        # by index, and a different size would cut different batches under the same run.
        size = int((run.progress or {}).get("batch_size") or self.settings.batch_size)
        total_batches = publishing.batch_count(len(content.rows), size)
        async with self.session() as session:
            await runs.record_progress(session, run.id, batch_size=size)
            await repository.replace_findings(
                session, run.id, report.findings(), report.checks_run()
            )
            await repository.record_version(
                session,
                DatasetVersion(
                    run_id=run.id,
                    stats_data_id=run.stats_data_id,
                    content_hash=digest,
                    cell_count=len(content.rows),
                    batch_count=total_batches,
                ),
            )
            advanced = await runs.advance(
                session,
                run.id,
                RunPhase.PUBLISHING,
                timings={"check_seconds": check_seconds},
                batch_count=total_batches,
                page_count=await self._page_count(session, run.id),
                **counts,
            )
        if advanced is None:
            return "finished-meanwhile"
        started = time.monotonic()
        first = int((advanced.progress or {}).get("batches_sent", 0))
        run_id, dimensions = str(run.id), content.layout.dimensions
        for index, rows in publishing.batches(content.rows, size, start=first):
            await self._stop_if_cancelled(run.id)
            self.bus.send(
                publishing.apply_batch_message(
                    run_id=run_id,
                    stats_data_id=run.stats_data_id,
                    batch_index=index,
                    batch_count=total_batches,
                    dimensions=dimensions,
                    rows=rows,
                ),
            )
            async with self.session() as session:
                await runs.record_progress(
                    session, run.id, batches_sent=index + 1, batch_count=total_batches
                )
        message = publishing.publish_version_message(
            run_id=run_id,
            stats_data_id=run.stats_data_id,
            content_hash=digest,
            batch_count=total_batches,
            content=content,
            attribution=options.attribution,
        )
        # Recorded before the message leaves: stats may answer before this worker goes on. Only
        # if no cancel came first: from `applying` on, a cancel is refused (one row, one order).
        async with self.session() as session:
            applying = await runs.advance(
                session,
                run.id,
                RunPhase.APPLYING,
                runs.NOT_CANCELLED,
                timings={"publish_seconds": time.monotonic() - started},
                published_at=sa.func.now(),
                max_rss_bytes=peak_rss_bytes(),
            )
        if applying is None:
            await self._stop_if_cancelled(run.id)
            return "finished-meanwhile"
        self.bus.send(message)
        logger.info(
            "ingest.version_published",
            run_id=run_id,
            dataset=run.stats_data_id,
            cells=len(content.rows),
            batches=total_batches,
            content_hash=digest,
        )
        return "published"

    async def _page_count(self, session: AsyncSession, run_id: uuid.UUID) -> int:
        return len(await repository.page_records(session, run_id))

    async def _advance(self, run_id: uuid.UUID, phase: RunPhase, timings: dict[str, float]) -> None:
        async with self.session() as session:
            await runs.advance(session, run_id, phase, timings=timings)

    # -- ending badly ---------------------------------------------------------------------------

    async def fail(self, run_id: uuid.UUID, code: str, message: str) -> Run | None:
        async with self.session() as session:
            failed = await runs.fail(session, run_id, code, message)
            if failed is not None:
                await repository.prune_pages(
                    session,
                    failed.stats_data_id,
                    self.settings.raw_pages_keep_runs,
                    keep_versions=self.settings.retention_versions,
                )
        if failed is not None:
            await alerts.alert_run_failed(self.settings, failed)
        return failed


def peak_rss_bytes() -> int:
    """The worker process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
