"""The ingest service's Celery app: ``celery -A chiiki_ingest.worker worker -Q ingest``.

The platform's single beat runs from this app too (``celery -A chiiki_ingest.worker beat``); its
schedule is built here from the settings (see ``schedule``); the catalog's crons are read from the
database every minute, not here.
"""

from __future__ import annotations

from typing import Any

import structlog
from celery import signals

from chiiki_ingest.config import IngestSettings
from chiiki_ingest.messaging import with_task_events
from chiiki_ingest.schedule import beat_schedule
from chiiki_shared.bus import configure_worker_logging, create_celery_app
from chiiki_shared.gc_tuning import configure_worker_gc

settings = IngestSettings()
configure_worker_logging(settings)
celery_app = with_task_events(create_celery_app(settings))
celery_app.conf.beat_schedule = beat_schedule(settings)
celery_app.autodiscover_tasks(["chiiki_ingest"], related_name="tasks", force=True)
configure_worker_gc()


@signals.worker_init.connect(weak=False)
def _refuse_placeholder_app_id(**_: Any) -> None:
    problem = settings.estat_app_id_problem()
    if problem:
        structlog.get_logger("chiiki_ingest.worker").error("ingest.refusing_to_start", why=problem)
        # Celery logs and swallows exceptions from signal handlers; SystemExit gets through.
        raise SystemExit(f"ingest worker refuses to start: {problem}")
