"""At most one request sent ahead of its caller, so the answer travels while the caller works.

The request goes out whole (its limiter slot, its timeout, the body read by the transport); what
comes back is kept as it came, unparsed. The next call with the same endpoint and parameters takes
it as its first attempt, so a failure there is retried exactly like one sent on demand; a call
with other parameters, or closing the client, cancels it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

Sent = TypeVar("Sent")


class ReadAhead(Generic[Sent]):
    def __init__(self) -> None:
        self._key: tuple[str, tuple[tuple[str, str], ...]] | None = None
        self._task: asyncio.Task[Sent] | None = None

    def start(
        self, endpoint: str, params: dict[str, str], send: Callable[[], Awaitable[Sent]]
    ) -> None:
        """Send now; a request already ahead is dropped (one at a time)."""
        self.cancel()

        async def sending() -> Sent:
            return await send()

        self._key = (endpoint, tuple(sorted(params.items())))
        self._task = asyncio.create_task(sending())

    def take(self, endpoint: str, params: dict[str, str]) -> asyncio.Task[Sent] | None:
        """The request sent ahead if it is this one (then forgotten); else None (it is dropped)."""
        if self._task is None:
            return None
        if self._key != (endpoint, tuple(sorted(params.items()))):
            self.cancel()
            return None
        task, self._task, self._key = self._task, None, None
        return task

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
        self._task, self._key = None, None

    async def close(self) -> None:
        """Cancel and wait, so its connection and limiter slot are given back before closing."""
        task = self._task
        self.cancel()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
