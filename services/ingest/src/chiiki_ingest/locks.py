"""One worker at a time per dataset: a PostgreSQL session-level advisory lock.

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

import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# The first key of every ingest lock, so ingest's locks cannot meet another service's.
LOCK_SPACE = zlib.crc32(b"chiiki_ingest.dataset") & 0x7FFFFFFF


def _int4(value: int) -> int:
    return value - 2**32 if value >= 2**31 else value


def lock_key(stats_data_id: str) -> tuple[int, int]:
    return LOCK_SPACE, _int4(zlib.crc32(stats_data_id.encode()))


@asynccontextmanager
async def dataset_lock(engine: AsyncEngine, stats_data_id: str) -> AsyncIterator[bool]:
    """``True`` while this process holds the dataset's lock, ``False`` when another one does.

    The lock is taken on a connection of its own, which is closed (not returned to the pool)
    afterwards, so the lock can never outlive this block on a pooled connection.
    """
    space, key = lock_key(stats_data_id)
    connection = await engine.connect()
    try:
        held = bool(
            await connection.scalar(
                text("SELECT pg_try_advisory_lock(:space, :key)"), {"space": space, "key": key}
            )
        )
        await connection.commit()
        yield held
    finally:
        await connection.invalidate()
        await connection.close()


async def is_locked(engine: AsyncEngine, stats_data_id: str) -> bool:
    """Whether some session holds the dataset's lock (for operators and tests)."""
    space, key = lock_key(stats_data_id)
    async with engine.connect() as connection:
        found = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = (:space)::oid AND objid = (:key)::bigint::oid"
                " AND objsubid = 2"
            ),
            {"space": space, "key": key & 0xFFFFFFFF},
        )
    return bool(found)
