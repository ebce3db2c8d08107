"""One worker at a time per dataset: a PostgreSQL session-level advisory lock
(``chiiki_shared.locks``).

Why not a Redis lock with a TTL: a TTL must be longer than the longest silence of a healthy run
(e-Stat retries back off for minutes) yet short enough that a killed worker does not block the
retry, and renewal can fail exactly when it matters. A session-level advisory lock has no TTL:
PostgreSQL holds it while the worker's connection lives and drops it the moment that connection
closes, which the kernel does as soon as the worker is killed. It lives next to the runs it
protects, so the lock and the run state cannot disagree about which database they are in.

The lock guards execution. Admission (one queued or running run per dataset) is the partial
unique index on ``runs``; the two together make a redelivered or duplicated task harmless.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from sqlalchemy.ext.asyncio import AsyncEngine

from chiiki_shared import locks

DATASETS = "chiiki_ingest.dataset"


def dataset_lock(engine: AsyncEngine, stats_data_id: str) -> AbstractAsyncContextManager[bool]:
    """``True`` while this process holds the dataset's lock, ``False`` when another one does."""
    return locks.session_lock(engine, DATASETS, stats_data_id)


async def is_locked(engine: AsyncEngine, stats_data_id: str) -> bool:
    """Whether some worker holds the dataset's lock (for the recovery sweep and tests)."""
    return await locks.is_locked(engine, DATASETS, stats_data_id)
