"""Sending tasks on the bus: validated messages by name (``chiiki_shared.contracts``), and only
after the commit that makes them true (a run is committed as queued before its task is sent,
through ``chiiki_shared.bus.Outbox``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from chiiki_shared import bus
from chiiki_shared.contracts import BusMessage

if TYPE_CHECKING:
    from celery import Celery


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
    """``publishing.Bus`` over a Celery app: the worker's own, or the API process's, made on its
    first send (``bus.LazyCelery``)."""

    source: Celery | bus.LazyCelery

    @property
    def app(self) -> Celery:
        source = self.source
        return source.get() if isinstance(source, bus.LazyCelery) else source

    def send(self, message: BusMessage) -> None:
        bus.send(self.app, message)

    def close(self) -> None:
        """Close the app's connections (a lazy app never made is not made to be closed)."""
        self.source.close()
