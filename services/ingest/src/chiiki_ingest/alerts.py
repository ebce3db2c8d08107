"""Telling people a run did not publish: an error log line always, a webhook when configured.

The webhook gets one JSON object per failed or blocked run, and one per watchdog pass that found
scheduled ticks that never ran, POSTed with a short timeout; if it
cannot be delivered that is logged and the run's outcome is unaffected. The webhook URL is
treated as a secret (such URLs usually embed a token) and never logged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import structlog

from chiiki_ingest.config import IngestSettings
from chiiki_ingest.models import QualityFinding, Run

if TYPE_CHECKING:
    from chiiki_ingest.ticks import Missed

logger = structlog.get_logger("chiiki_ingest.alerts")


def alert_body(run: Run, findings: list[QualityFinding] | None = None) -> dict[str, Any]:
    return {
        "event": f"ingest.run_{run.status}",
        "service": "ingest",
        "run_id": str(run.id),
        "stats_data_id": run.stats_data_id,
        "status": run.status,
        "trigger": run.trigger,
        "attempt": run.attempt,
        "error_code": run.error_code,
        "error": run.error,
        "blocking_checks": [
            {"check": f.check, "count": f.count, "message": f.message}
            for f in findings or []
            if f.severity == "block"
        ],
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "detail": f"/api/ingest/runs/{run.id}",
    }


async def alert_run_failed(
    settings: IngestSettings, run: Run, findings: list[QualityFinding] | None = None
) -> bool:
    """Log and send the alert; ``True`` when a webhook accepted it."""
    body = alert_body(run, findings)
    logger.error(
        "ingest.run_failed",
        run_id=body["run_id"],
        stats_data_id=run.stats_data_id,
        status=run.status,
        error_code=run.error_code,
        error=run.error,
        blocking_checks=[check["check"] for check in body["blocking_checks"]],
    )
    return await _send(settings, body, run_id=body["run_id"])


def missed_body(missed: list[Missed]) -> dict[str, Any]:
    return {
        "event": "ingest.schedule_missed",
        "service": "ingest",
        "ticks": [
            {
                "stats_data_id": tick.stats_data_id,
                "schedule": tick.schedule,
                "due_at": tick.due_at.isoformat(),
            }
            for tick in missed
        ],
        "detail": "/api/ingest/schedule",
    }


async def alert_ticks_missed(settings: IngestSettings, missed: list[Missed]) -> bool:
    """Scheduled ticks that never ran (beat or the workers were down): log and send one alert."""
    body = missed_body(missed)
    logger.error(
        "ingest.schedule_missed",
        stats_data_ids=sorted({tick.stats_data_id for tick in missed}),
        ticks=len(missed),
    )
    return await _send(settings, body, event=body["event"])


async def _send(settings: IngestSettings, body: dict[str, Any], **context: str) -> bool:
    if settings.alert_webhook_url is None:
        return False
    url = settings.alert_webhook_url.get_secret_value()
    try:
        async with httpx.AsyncClient(timeout=settings.alert_timeout_seconds) as client:
            response = await client.post(url, json=body)
        response.raise_for_status()
    except httpx.HTTPStatusError as error:
        logger.warning("ingest.alert_not_delivered", status=error.response.status_code, **context)
        return False
    except httpx.HTTPError as error:
        logger.warning("ingest.alert_not_delivered", error=type(error).__name__, **context)
        return False
    return True
