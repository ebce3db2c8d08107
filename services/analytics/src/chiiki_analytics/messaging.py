"""Tasks analytics sends on the bus, by name (docs/bus-contract.md)."""

from __future__ import annotations

from typing import Any

RUN_JOB = "analytics.run_job"
PRECOMPUTE_FORECASTS = "analytics.precompute_forecasts"
DATASET_UPDATED = "analytics.dataset_updated"


def send(task: str, payload: dict[str, Any]) -> None:
    """Send ``task`` with its one JSON argument; call it only after the transaction committed."""
    from chiiki_analytics.worker import celery_app

    celery_app.send_task(task, args=[payload])
