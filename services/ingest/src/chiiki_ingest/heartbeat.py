"""A running run's heartbeat, beaten from a thread of its own.

Parsing a large page, sorting, hashing and checking a table hold the event loop for seconds at a
time; a heartbeat waiting its turn in that loop would let the run's lease
(``INGEST_STALE_RUN_SECONDS``) run out under a live worker. A thread needs the GIL only for a
moment every ``INGEST_HEARTBEAT_SECONDS``, and Python hands it over while the loop is busy. It
uses a synchronous connection of its own (asyncpg connections belong to one event loop). It beats
as long as the run step does; Celery's hard time limit ends the process, and the thread with it.
"""

from __future__ import annotations

import threading
import uuid
from types import TracebackType

import sqlalchemy as sa
import structlog
from sqlalchemy.pool import NullPool

from chiiki_ingest import runs
from chiiki_ingest.config import IngestSettings

logger = structlog.get_logger("chiiki_ingest.heartbeat")
CONNECT_TIMEOUT_SECONDS = 5


class Heartbeat:
    """``with Heartbeat(settings, run_id):`` keeps ``runs.heartbeat_at`` fresh meanwhile."""

    def __init__(self, settings: IngestSettings, run_id: uuid.UUID) -> None:
        self.settings = settings
        self.run_id = run_id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(timeout=CONNECT_TIMEOUT_SECONDS)

    def _engine(self) -> sa.Engine:
        url = self.settings.service_database_url.set(drivername="postgresql+psycopg")
        timeout = self.settings.db_statement_timeout_ms
        return sa.create_engine(
            url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": CONNECT_TIMEOUT_SECONDS,
                "options": f"-c statement_timeout={timeout}",
                "application_name": "chiiki-ingest-heartbeat",
            },
        )

    def _beat(self) -> None:
        engine = self._engine()
        connection: sa.Connection | None = None
        try:
            while not self._stop.wait(self.settings.heartbeat_seconds):
                try:
                    connection = connection or engine.connect()
                    connection.execute(runs.heartbeat_statement(self.run_id))
                    connection.commit()
                except Exception as error:  # the run itself will notice a broken database
                    logger.warning("ingest.heartbeat_failed", error=type(error).__name__)
                    if connection is not None:
                        connection.invalidate()
                        connection = None
        finally:
            if connection is not None:
                connection.close()
            engine.dispose()
