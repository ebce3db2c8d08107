"""The beat schedule of the ingest worker app (there is exactly one beat in the platform).

- ``ingest.schedule_due``: every minute. It reads the live catalog (the database) and ticks each
  enabled entry whose cron (``daily`` is ``INGEST_SCHEDULE_DAILY``, Asia/Tokyo) named a time
  since its last tick (``ticks``), so a schedule changed through the API applies at the next
  minute, without restarting beat.
- ``ingest.recover_runs``: every ``INGEST_RECOVERY_INTERVAL_SECONDS``, resumes runs whose worker
  was lost and fails runs stats never answered.

- ``auth.purge_sessions``: hourly, the auth service's purge of ended sessions (its retention is
  the auth service's ``AUTH_SESSION_RETENTION_DAYS``). Sent by name to the ``auth`` queue: this
  app never imports auth code.

``INGEST_SCHEDULE_ENABLED=false`` leaves only the recovery and the auth purge.
"""

from __future__ import annotations

from typing import Any

from celery.schedules import crontab

from chiiki_ingest.config import IngestSettings

SCHEDULE_DUE = "ingest.schedule_due"
# A sweep that waited past the next minute's is dropped: the next one does its work.
SCHEDULE_DUE_EXPIRES_SECONDS = 60
RECOVER_RUNS = "ingest.recover_runs"
AUTH_PURGE_SESSIONS = "auth.purge_sessions"
AUTH_PURGE_INTERVAL_SECONDS = 3600


def beat_schedule(settings: IngestSettings) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    if settings.schedule_enabled:
        entries[SCHEDULE_DUE] = {
            "task": SCHEDULE_DUE,
            "schedule": crontab(),
            "args": [{}],
            "options": {"expires": SCHEDULE_DUE_EXPIRES_SECONDS},
        }
    entries[RECOVER_RUNS] = {
        "task": RECOVER_RUNS,
        "schedule": settings.recovery_interval_seconds,
        "args": [{}],
        "options": {"expires": settings.recovery_interval_seconds},
    }
    entries[AUTH_PURGE_SESSIONS] = {
        "task": AUTH_PURGE_SESSIONS,
        "schedule": AUTH_PURGE_INTERVAL_SECONDS,
        "args": [{}],
        "options": {"queue": "auth", "expires": AUTH_PURGE_INTERVAL_SECONDS},
    }
    return entries
