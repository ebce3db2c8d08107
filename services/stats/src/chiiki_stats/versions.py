"""Every dataset's current version, held in memory by each web process.

A cached read needs the versions only to compute its key, so reading them from PostgreSQL on
every request (a transaction per cache hit) is wasted work. Applying a version sends
``NOTIFY stats_dataset_versions`` in the same transaction (``consumer``), which PostgreSQL
delivers only when that transaction commits, and never for one rolled back; each process LISTENs
on its own connection and reloads the map when told. A reload every ``versions_refresh_seconds``
is the safety net for a notification missed while the listening connection was down.

The map can lag a commit by the notification's delivery (milliseconds). A request that computes
anything reads in its own snapshot and compares it with the map (``deps.Context``), so a body is
never stored under the key of another version.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg
import structlog
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chiiki_shared.background import stop_task
from chiiki_stats import repository
from chiiki_stats.repository import DatasetState

logger = structlog.get_logger(__name__)

CHANNEL = "stats_dataset_versions"
VERSIONS_EXTRA = "dataset_versions"
RECONNECT_SECONDS = 1.0

States = dict[str, DatasetState]


def asyncpg_dsn(url: URL) -> str:
    """The SQLAlchemy URL of the service as the plain ``postgresql://`` DSN asyncpg takes."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class DatasetVersions:
    """The map, its listener and its periodic reload, for one event loop."""

    def __init__(
        self,
        load: Callable[[], Awaitable[States]],
        dsn: str | None,
        *,
        refresh_seconds: float,
    ) -> None:
        self._load = load
        self._dsn = dsn
        self._refresh_seconds = refresh_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.states: States = {}
        self.listening = False
        self._on_change: list[Callable[[States], None]] = []

    @classmethod
    def for_sessions(
        cls, sessions: async_sessionmaker[AsyncSession], url: URL, *, refresh_seconds: float
    ) -> DatasetVersions:
        async def load() -> States:
            async with sessions() as session:
                return await repository.dataset_states(session)

        return cls(load, asyncpg_dsn(url), refresh_seconds=refresh_seconds)

    async def start(self) -> None:
        """Load the map now (start-up fails if the database cannot be read), then keep it."""
        self.states = await self._load()
        self._task = asyncio.create_task(self._keep(), name="dataset-versions")

    async def stop(self) -> None:
        await stop_task(self._task)

    def refresh_soon(self) -> None:
        """Reload now, out of the request that found the map behind its snapshot."""
        self._wake.set()

    def on_change(self, callback: Callable[[States], None]) -> None:
        """Call ``callback`` (at once, without awaiting) with the new map when a reload finds
        other versions than the map held."""
        self._on_change.append(callback)

    async def refresh(self) -> None:
        states = await self._load()
        if states != self.states:
            # Replaced only when it changed: the cached-hit path (``chiiki_shared.hit_path``)
            # takes the map's identity for "the versions its answers were keyed on".
            self.states = states
            for callback in self._on_change:
                callback(states)

    async def _keep(self) -> None:
        while True:
            connection = await self._listen()
            try:
                # Whatever was applied while no one listened.
                await self._refresh_logged()
                await self._follow(connection)
            finally:
                self.listening = False
                if connection is not None and not connection.is_closed():
                    await connection.close(timeout=2)

    async def _follow(self, connection: asyncpg.Connection | None) -> None:
        """Reload on each notification and every ``refresh_seconds``, until the listening
        connection is lost (without one: once, then listening is tried again)."""
        while True:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for loses a cancellation that
            # arrives as the wake-up does (a NOTIFY at shut-down), and stop() then waits forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._refresh_seconds):
                    await self._wake.wait()
            self._wake.clear()
            await self._refresh_logged()
            if connection is None or connection.is_closed():
                return

    async def _listen(self) -> asyncpg.Connection | None:
        if self._dsn is None:
            return None
        try:
            connection = await asyncpg.connect(self._dsn, timeout=5)
            await connection.add_listener(CHANNEL, self._notified)
        except Exception as exc:  # the reload every few seconds still runs
            logger.warning("versions_listen_failed", error=type(exc).__name__)
            return None
        self.listening = True
        return connection

    def _notified(self, *_: object) -> None:
        self._wake.set()

    async def _refresh_logged(self) -> None:
        try:
            await self.refresh()
        except Exception as exc:  # the task must outlive a database outage
            logger.warning("versions_refresh_failed", error=type(exc).__name__)
            await asyncio.sleep(RECONNECT_SECONDS)
