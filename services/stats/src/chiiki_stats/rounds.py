"""A background task that runs a round of work each time the dataset versions change, one round
at a time: versions that change during a round are taken by one more round after it. The warmer
(``warm``) and the primer (``prime``) are such tasks."""

from __future__ import annotations

import asyncio

import structlog

from chiiki_shared.background import stop_task
from chiiki_stats.versions import States

logger = structlog.get_logger(__name__)


class Rounds:
    """Subclasses say what a round is (``run_round``) and what its failure logs."""

    name = "rounds"
    failed_event = "round_failed"

    def __init__(self) -> None:
        self._wanted = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def changed(self, _states: States) -> None:
        self._wanted.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._keep(), name=self.name)

    async def stop(self) -> None:
        await stop_task(self._task)

    async def run_round(self) -> None:
        raise NotImplementedError

    async def _keep(self) -> None:
        while True:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                await self.run_round()
            except Exception as exc:  # the task must outlive a failed round
                logger.warning(self.failed_event, error=type(exc).__name__)
