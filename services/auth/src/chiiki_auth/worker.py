"""The auth service's Celery app: ``celery -A chiiki_auth.worker worker -Q auth``."""

from __future__ import annotations

from chiiki_auth.config import AuthSettings
from chiiki_shared.bus import configure_worker_logging, create_celery_app

settings = AuthSettings()
configure_worker_logging(settings)
celery_app = create_celery_app(settings)
celery_app.autodiscover_tasks(["chiiki_auth"], related_name="tasks", force=True)
