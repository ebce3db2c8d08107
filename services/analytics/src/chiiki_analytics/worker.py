"""The analytics service's Celery app: ``celery -A chiiki_analytics.worker worker -Q analytics``."""

from __future__ import annotations

from chiiki_analytics.config import AnalyticsSettings
from chiiki_shared.bus import configure_worker_logging, create_celery_app

settings = AnalyticsSettings()
configure_worker_logging(settings)
celery_app = create_celery_app(settings)
celery_app.autodiscover_tasks(["chiiki_analytics"], related_name="tasks", force=True)
