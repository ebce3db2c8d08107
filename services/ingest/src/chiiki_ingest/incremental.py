"""A scheduled run that finds the source not updated ends ``unchanged`` without fetching pages.

Before a scheduled run (trigger ``schedule`` or ``run-now``) fetches anything, it asks getMetaInfo
for the table's ``UPDATED_DATE`` and compares it with the one in the first stored page of the run
that made the served version. When they are equal and that run asked for the same filters, the
served version is the source's current content, so the run ends there: one small request instead
of every page. When the date cannot be compared (no served version, pages pruned, a table without
an ``UPDATED_DATE``, the source cannot be asked) the run fetches everything, as before.
"""

from __future__ import annotations

from typing import Any

import structlog

from chiiki_ingest import repository, tablecheck
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.estat.client import Guard
from chiiki_ingest.models import DatasetVersion, Run
from chiiki_ingest.source import stored_page
from chiiki_shared.errors import ApiError

logger = structlog.get_logger("chiiki_ingest.incremental")

INCREMENTAL_TRIGGERS = frozenset({"schedule", "run-now"})


async def served_if_not_updated(
    session: Any, settings: IngestSettings, run: Run, guard: Guard | None = None
) -> DatasetVersion | None:
    """The served version when the source has not been updated since it was made, else None.
    ``session`` opens a unit of work."""
    if run.trigger not in INCREMENTAL_TRIGGERS or run.dry_run:
        return None
    async with session() as s:
        served = await repository.latest_applied(s, run.stats_data_id)
        made_by = await repository.get_run(s, served.run_id) if served else None
        first = await repository.page_body(s, served.run_id, 0) if served else None
    if served is None or made_by is None or made_by.filters != run.filters or first is None:
        return None
    table = stored_page(first).table
    stored = table.updated_date if table is not None else None
    if stored is None:
        return None
    try:
        meta = await tablecheck.meta_info(settings, run.stats_data_id, guard)
    except ApiError as error:
        logger.info("ingest.update_check_failed", run_id=str(run.id), why=type(error).__name__)
        return None
    if meta.table.updated_date != stored:
        return None
    logger.info(
        "ingest.source_not_updated",
        run_id=str(run.id),
        version=served.version,
        updated_date=stored.isoformat(),
    )
    return served
