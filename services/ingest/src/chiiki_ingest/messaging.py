"""Sending tasks on the bus: validated messages by name (``chiiki_shared.contracts``), and only
after the commit that makes them true (a run is committed as queued before its task is sent,
through ``chiiki_shared.bus.Outbox``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

from celery import Celery

from chiiki_shared import bus
from chiiki_shared.contracts import BusMessage


class RunIngestion(BusMessage):
    """Execute or resume one run (ingest's own task)."""

    TASK: ClassVar[str] = "ingest.run_ingestion"

    run_id: uuid.UUID


def with_task_events(app: Celery) -> Celery:
    """Task events on (``task-sent`` from senders, ``task-started``/``-succeeded``/``-failed``
    from workers), so Flower or ``celery events`` show every ingest task as it happens."""
    app.conf.worker_send_task_events = True
    app.conf.task_send_sent_event = True
    return app


@dataclass
class CeleryBus:
    """``publishing.Bus`` over a Celery app (the worker's own, or one the API process made)."""

    app: Celery

    def send(self, message: BusMessage) -> None:
        bus.send(self.app, message)
