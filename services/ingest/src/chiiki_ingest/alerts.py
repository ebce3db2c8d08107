"""Telling people a run did not publish: an error log line always, a webhook when configured.

The webhook gets one JSON object per failed or blocked run, POSTed with a short timeout; if it
cannot be delivered that is logged and the run's outcome is unaffected. The webhook URL is
treated as a secret (such URLs usually embed a token) and never logged.
"""

from __future__ import annotations

from typing import Any

import httpx
import structlog

from chiiki_ingest.config import IngestSettings
from chiiki_ingest.models import QualityFinding, Run

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
    if settings.alert_webhook_url is None:
        return False
    url = settings.alert_webhook_url.get_secret_value()
    try:
        async with httpx.AsyncClient(timeout=settings.alert_timeout_seconds) as client:
            response = await client.post(url, json=body)
        response.raise_for_status()
    except httpx.HTTPStatusError as error:
        logger.warning(
            "ingest.alert_not_delivered", run_id=body["run_id"], status=error.response.status_code
        )
        return False
    except httpx.HTTPError as error:
        logger.warning(
            "ingest.alert_not_delivered", run_id=body["run_id"], error=type(error).__name__
        )
        return False
    return True
