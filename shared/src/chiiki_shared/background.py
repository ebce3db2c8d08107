"""Stopping a service's background task (versions follower, warmer, primer) at shut-down."""

from __future__ import annotations

import asyncio
from typing import Any

# How long one cancellation is given before it is sent again.
RECANCEL_SECONDS = 1.0


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel ``task`` and wait until it has ended.

    The cancellation is sent again while the task runs: one that a library below the task
    turns into an ordinary exception (which the task's loop then outlives) would otherwise keep
    the shut-down waiting forever.
    """
    if task is None:
        return
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=RECANCEL_SECONDS)
    if not task.cancelled():
        task.exception()  # retrieved: an error of the task's last round is not reported again
