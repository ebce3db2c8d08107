"""A worker outlives a Redis outage that starts while one of its tasks runs.

kombu 5.7's Redis transport, closing the lost connection, tries to put the unacknowledged task
back with a connection it no longer has, and the worker exits with "Unrecoverable error"
(seen in the soak: the ingest worker died at the first Redis outage). chiiki_shared's transport
leaves that message for redelivery instead; this test fails on kombu's own transport.
"""

import logging
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker

from chiiki_shared.bus import create_celery_app
from chiiki_stats.config import StatsSettings

DEADLINE_SECONDS = 60


class CeleryWarnings(logging.Handler):
    """What Celery warns of, seen from the ``celery`` logger itself. Not pytest's caplog: the
    worker's start may configure logging (the services' workers connect that to Celery's
    setup_logging signal), which replaces the root logger's handlers, caplog's included."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE_SECONDS} s: {what}")
        time.sleep(0.05)


def test_a_worker_outlives_a_redis_outage_during_a_task(
    platform, own_redis, tmp_path: Path
) -> None:
    app = create_celery_app(StatsSettings(REDIS_URL=own_redis.url))
    started, release, finished = tmp_path / "started", tmp_path / "release", []

    @app.task(name="stats.wait_for_release")
    def wait_for_release() -> None:
        started.touch()
        wait_for(release.exists, "the test releases the task")
        finished.append("first")

    @app.task(name="stats.after_the_outage")
    def after_the_outage() -> None:
        finished.append("second")

    warnings, celery_logger = CeleryWarnings(), logging.getLogger("celery")
    level = celery_logger.level
    try:
        with start_worker(
            app, queues=["stats"], perform_ping_check=False, pool="threads", concurrency=2
        ) as worker:
            # After the worker's start, which may reset logging: handlers, and the root level
            # (Celery's own set-up sets it to the test worker's "error").
            celery_logger.addHandler(warnings)
            celery_logger.setLevel(logging.WARNING)
            app.send_task("stats.wait_for_release")
            wait_for(started.exists, "the first task starts")

            own_redis.stop()
            lost = "Connection to broker lost"
            wait_for(lambda: lost in warnings.text, "the worker sees the outage")
            own_redis.start()
            release.touch()

            app.send_task("stats.after_the_outage")
            wait_for(lambda: "second" in finished, "the worker runs a task sent after the outage")
            assert "Unrecoverable error" not in warnings.text
            assert worker.blueprint.state == 1  # RUN: the worker never stopped
    finally:
        celery_logger.removeHandler(warnings)
        celery_logger.setLevel(level)
    assert finished == ["first", "second"]
