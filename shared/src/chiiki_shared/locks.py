"""PostgreSQL advisory locks, one key scheme for every service.

A lock is named by a space (what kind of thing: ``"chiiki_stats.dataset"``) and a name (which one:
a dataset id). Both are hashed to 32-bit keys, the two-key form of PostgreSQL's advisory lock
functions, so locks of different spaces never meet and ``pg_locks`` can find a held lock.

- ``xact_lock``: held until the current transaction ends (serialising writers of one thing);
- ``session_lock``: held while a connection of its own lives, dropped the moment it closes, which
  the kernel does as soon as a killed worker's process is gone (no TTL to guess).
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession


def _int4(value: int) -> int:
    return value - 2**32 if value >= 2**31 else value


def lock_key(space: str, name: str) -> tuple[int, int]:
    """The two int4 keys of the lock ``name`` in ``space``."""
    return zlib.crc32(space.encode()) & 0x7FFFFFFF, _int4(zlib.crc32(name.encode()))


async def xact_lock(session: AsyncSession, space: str, name: str) -> None:
    """Wait for the lock and hold it until ``session``'s transaction ends."""
    first, second = lock_key(space, name)
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:first, :second)"), {"first": first, "second": second}
    )


@asynccontextmanager
async def session_lock(engine: AsyncEngine, space: str, name: str) -> AsyncIterator[bool]:
    """``True`` while this process holds the lock, ``False`` when another one does (no wait).

    The lock is taken on a connection of its own, which is closed (not returned to the pool)
    afterwards, so the lock can never outlive this block on a pooled connection.
    """
    first, second = lock_key(space, name)
    connection = await engine.connect()
    try:
        held = bool(
            await connection.scalar(
                text("SELECT pg_try_advisory_lock(:first, :second)"),
                {"first": first, "second": second},
            )
        )
        await connection.commit()
        yield held
    finally:
        await connection.invalidate()
        await connection.close()


async def is_locked(engine: AsyncEngine, space: str, name: str) -> bool:
    """Whether some session or transaction holds the lock (for operators and tests)."""
    first, second = lock_key(space, name)
    async with engine.connect() as connection:
        found = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND classid = (:first)::oid AND objid = (:second)::bigint::oid"
                " AND objsubid = 2"
            ),
            {"first": first, "second": second & 0xFFFFFFFF},
        )
    return bool(found)
