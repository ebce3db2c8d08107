"""Running async code in Celery tasks: one event loop and one ``Runtime`` per worker process.

asyncpg connections belong to the event loop that opened them, so a worker keeps one loop for its
whole life and opens its engine and Redis client in it once, on the first task; every task after
that reuses the pool. A prefork child must not reuse its parent's loop or sockets, so the loop is
remembered per process (and per thread, for thread pools) and a new one is made after a fork.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from celery import Celery, signals
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.bus import Outbox
from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime
from chiiki_shared.settings import ServiceSettings

T = TypeVar("T")


@dataclass
class _Loop:
    pid: int
    loop: asyncio.AbstractEventLoop
    runtime: Runtime


class TaskRuntime:
    """The bridge a service's tasks use: ``run`` async work, or run it in one transaction."""

    def __init__(self, settings: Callable[[], ServiceSettings], app: Callable[[], Celery]) -> None:
        """``settings`` and ``app`` (the service's Celery app, which sends the outbox) are
        called when first needed, so a tasks module can name them before they exist."""
        self._settings = settings
        self._app = app
        self._local = threading.local()
        self._opened: list[_Loop] = []
        self._lock = threading.Lock()
        signals.worker_process_shutdown.connect(self._close_all, weak=False)
        signals.worker_shutdown.connect(self._close_all, weak=False)

    def run(self, work: Callable[[Runtime], Awaitable[T]]) -> T:
        """Run ``work`` to completion on this process's loop, with its runtime."""
        current = self._current()
        return current.loop.run_until_complete(work(current.runtime))

    def transaction(self, work: Callable[[AsyncSession, Outbox], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction; the messages it put in the outbox are sent only once
        that transaction has committed."""

        async def unit(runtime: Runtime) -> T:
            outbox = Outbox()
            async with session_scope(runtime.sessions) as session:
                result = await work(session, outbox)
            await outbox.flush_async(self._app())
            return result

        return self.run(unit)

    def _current(self) -> _Loop:
        current: _Loop | None = getattr(self._local, "loop", None)
        if current is None or current.pid != os.getpid() or current.loop.is_closed():
            loop = asyncio.new_event_loop()
            current = _Loop(os.getpid(), loop, Runtime.open(self._settings()))
            self._local.loop = current
            with self._lock:
                self._opened.append(current)
        return current

    def _close_all(self, **_: Any) -> None:
        with self._lock:
            mine = [entry for entry in self._opened if entry.pid == os.getpid()]
            self._opened = [entry for entry in self._opened if entry.pid != os.getpid()]
        for entry in mine:
            if not entry.loop.is_closed() and not entry.loop.is_running():
                entry.loop.run_until_complete(entry.runtime.close())
                entry.loop.close()
