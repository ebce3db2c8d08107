"""Sending tasks on the bus: by name, one JSON object each, and only after the commit that makes
them true (a run is committed as queued before its task is sent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import anyio
from celery import Celery

RUN_INGESTION = "ingest.run_ingestion"


@dataclass
class CeleryBus:
    """``publishing.Bus`` over a Celery app (the worker's own, or one the API process made)."""

    app: Celery

    def send(self, task: str, payload: dict[str, Any]) -> None:
        self.app.send_task(task, args=[payload])


@dataclass
class Outbox:
    """Messages collected during a transaction, sent once it has committed."""

    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, task: str, payload: dict[str, Any]) -> None:
        self.messages.append((task, payload))

    def flush(self, bus: CeleryBus) -> None:
        messages, self.messages = self.messages, []
        for task, payload in messages:
            bus.send(task, payload)

    async def flush_async(self, bus: CeleryBus) -> None:
        """From an event loop: sending talks to Redis synchronously, so it runs in a thread."""
        if self.messages:
            await anyio.to_thread.run_sync(self.flush, bus)
