"""The ingest service's Celery app: ``celery -A chiiki_ingest.worker worker -Q ingest``."""

from __future__ import annotations

from chiiki_ingest.config import IngestSettings
from chiiki_shared.bus import configure_worker_logging, create_celery_app

settings = IngestSettings()
configure_worker_logging(settings)
celery_app = create_celery_app(settings)
celery_app.autodiscover_tasks(["chiiki_ingest"], related_name="tasks", force=True)
