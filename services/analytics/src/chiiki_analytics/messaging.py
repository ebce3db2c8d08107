"""Tasks analytics sends on the bus (docs/bus-contract.md): its own, validated like the contract's.

What stats sends analytics (``analytics.dataset_updated``) is in ``chiiki_shared.contracts``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field

from chiiki_shared import bus
from chiiki_shared.contracts import BusMessage, DatasetUpdated

if TYPE_CHECKING:
    from celery import Celery


class RunJob(BusMessage):
    """Run one submitted analysis job (idempotent: a finished job is not run again)."""

    TASK: ClassVar[str] = "analytics.run_job"

    job_id: uuid.UUID


class PrecomputeForecasts(BusMessage):
    """Store every prefecture's forecasts of one indicator for the current data version."""

    TASK: ClassVar[str] = "analytics.precompute_forecasts"

    indicator: str = Field(min_length=1, max_length=64)


RUN_JOB = RunJob.TASK
PRECOMPUTE_FORECASTS = PrecomputeForecasts.TASK
DATASET_UPDATED = DatasetUpdated.TASK
MESSAGES: dict[str, type[BusMessage]] = {
    message.TASK: message for message in (RunJob, PrecomputeForecasts, DatasetUpdated)
}


def celery_app() -> Celery:
    from chiiki_analytics.worker import celery_app

    return celery_app


def send(task: str, payload: dict[str, Any]) -> None:
    """Validate and send ``task``'s one JSON argument; call it only after the commit."""
    bus.send(celery_app(), MESSAGES[task].model_validate(payload))
