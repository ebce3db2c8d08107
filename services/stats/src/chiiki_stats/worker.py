"""The stats service's Celery app: ``celery -A chiiki_stats.worker worker -Q stats``."""

from __future__ import annotations

from chiiki_shared.bus import configure_worker_logging, create_celery_app
from chiiki_shared.gc_tuning import configure_worker_gc
from chiiki_stats.config import StatsSettings

settings = StatsSettings()
configure_worker_logging(settings)
celery_app = create_celery_app(settings)
celery_app.autodiscover_tasks(["chiiki_stats"], related_name="tasks", force=True)
configure_worker_gc()
