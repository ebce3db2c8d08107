"""The ingest service's audit log of admin actions (``ingest_audit.events``).

Actions recorded here: ``catalog.entry_created``, ``catalog.entry_changed``, ``run.triggered``,
``run.retried``, ``run.cancelled``, ``catalog.version_rolled_back``, ``catalog.entry_deleted``.
"""

from __future__ import annotations

from typing import Any

from chiiki_ingest.models import CatalogEntry, Run
from chiiki_shared.audit import AuditLog

AUDIT_LOG = AuditLog("ingest")


def entry_snapshot(entry: CatalogEntry) -> dict[str, Any]:
    """The fields of a catalog entry an admin sets (the ``before``/``after`` of its rows)."""
    return {
        "stats_data_id": entry.stats_data_id,
        "title": entry.title,
        "attribution": entry.attribution,
        "enabled": entry.enabled,
        "schedule": entry.schedule,
        "area_dimension": entry.area_dimension,
        "time_dimension": entry.time_dimension,
        "filters": entry.filters or {},
        "quality": entry.quality or {},
        "max_shrink": entry.max_shrink,
    }


def run_snapshot(run: Run) -> dict[str, Any]:
    return {
        "stats_data_id": run.stats_data_id,
        "status": run.status,
        "trigger": run.trigger,
        "filters": run.filters or {},
        "allow_shrink": run.allow_shrink,
        "retry_of": str(run.retry_of) if run.retry_of else None,
    }
