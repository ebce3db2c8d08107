"""A retry resumes from the pages its run already stored, when the source has not changed since.

A retry (``POST /runs/{id}/retry``) of a run that failed on its fifth page need not ask e-Stat for
the first four again: when the table's ``UPDATED_DATE`` (asked with getMetaInfo) is the one in
the stored first page, the retry takes the failed run's stored pages as its own and fetches from
the last one's NEXT_KEY, as a resumed run does. When the date moved, cannot be read or the source
cannot be asked, the retry fetches everything: a table mixing two releases must never be made.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import structlog

from chiiki_ingest import repository, runs, tablecheck
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.estat.client import Guard
from chiiki_ingest.models import Run, RunPage
from chiiki_ingest.source import stored_page
from chiiki_shared.errors import ApiError

logger = structlog.get_logger("chiiki_ingest.resume")


async def adopt_pages(
    session: Any, settings: IngestSettings, run: Run, guard: Guard | None = None
) -> int:
    """Give a retry the stored pages of the run it retries when the source is unchanged; the
    number of pages taken (0: fetch from the start). ``session`` opens a unit of work."""
    if run.retry_of is None or run.restores_version is not None:
        return 0
    async with session() as s:
        if await repository.page_records(s, run.id):
            return 0  # a later attempt of this retry: it has its own pages already
        first = await repository.page_body(s, run.retry_of, 0)
    table = stored_page(first).table if first is not None else None
    stored = table.updated_date if table is not None else None
    if stored is None:
        return 0
    try:
        meta = await tablecheck.meta_info(settings, run.stats_data_id, guard)
    except ApiError as error:  # the source cannot be asked or does not know the table
        logger.info("ingest.retry_not_resumed", run_id=str(run.id), why=type(error).__name__)
        return 0
    if meta.table.updated_date != stored:
        logger.info(
            "ingest.retry_not_resumed",
            run_id=str(run.id),
            why="source-updated",
            stored=stored.isoformat(),
            source=str(meta.table.updated_date),
        )
        return 0
    async with session() as s:
        pages = await _copy_stored(s, run)
    logger.info("ingest.retry_resumed", run_id=str(run.id), retry_of=str(run.retry_of), pages=pages)
    return pages


async def _copy_stored(s: Any, run: Run) -> int:
    """Copy the retried run's pages unless their bodies were pruned (all of a run's go at once)."""
    source = run.retry_of
    if source is None:
        return 0
    records = await repository.page_records(s, source)
    pruned = await s.scalar(
        sa.select(sa.func.count()).where(RunPage.run_id == source, RunPage.body.is_(None))
    )
    if not records or pruned:
        return 0
    await repository.copy_pages(s, source, run.id)
    await runs.record_progress(
        s,
        run.id,
        pages_fetched=len(records),
        pages_resumed=len(records),
        cells_fetched=sum(r.cell_count for r in records),
        cells_total=records[-1].total_number,
    )
    return len(records)
