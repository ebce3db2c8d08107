"""The beat schedule of the ingest worker app (there is exactly one beat in the platform).

- ``ingest.schedule_catalog[<schedule>]``: one entry per distinct schedule of catalog.yaml plus
  ``daily`` (``INGEST_SCHEDULE_DAILY``, a cron expression in Asia/Tokyo). Each tick enqueues every
  enabled catalog entry with that schedule, as the live catalog in the database has it.
- ``ingest.recover_runs``: every ``INGEST_RECOVERY_INTERVAL_SECONDS``, resumes runs whose worker
  was lost and fails runs stats never answered.

- ``auth.purge_sessions``: hourly, the auth service's purge of ended sessions (its retention is
  the auth service's ``AUTH_SESSION_RETENTION_DAYS``). Sent by name to the ``auth`` queue: this
  app never imports auth code.

``INGEST_SCHEDULE_ENABLED=false`` leaves only the recovery and the auth purge.
"""

from __future__ import annotations

from typing import Any

from chiiki_ingest.catalog import DAILY, EntrySpec, parse_cron, schedules, slug
from chiiki_ingest.config import IngestSettings

SCHEDULE_CATALOG = "ingest.schedule_catalog"
RECOVER_RUNS = "ingest.recover_runs"
# A catalog tick still waiting after this long (workers were down) is dropped; the next one runs.
SCHEDULE_EXPIRES_SECONDS = 6 * 3600
AUTH_PURGE_SESSIONS = "auth.purge_sessions"
AUTH_PURGE_INTERVAL_SECONDS = 3600


def beat_schedule(settings: IngestSettings, specs: list[EntrySpec]) -> dict[str, dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    if settings.schedule_enabled:
        for schedule in schedules(specs):
            expression = settings.schedule_daily if schedule == DAILY else schedule
            entries[f"{SCHEDULE_CATALOG}[{slug(schedule)}]"] = {
                "task": SCHEDULE_CATALOG,
                "schedule": parse_cron(expression),
                "args": [{"schedule": schedule}],
                "options": {"expires": SCHEDULE_EXPIRES_SECONDS},
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
