"""Jobs: work that may take more than a second, run by the worker, deduplicated by parameters.

A job's key is the SHA-256 of its kind and parameters, the versions of the datasets behind its
indicators that stats has announced, and for a policy effect the policy's current content. Equal
keys are one job: asking again returns it (a failed one is queued again); new data or an edited
policy make a new job.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chiiki_analytics import repository
from chiiki_analytics.models import Job
from chiiki_analytics.schemas import ForecastJob, JobRequest, PolicyEffectJob, RegionalForecastJob
from chiiki_analytics.services import policies, policy_effects
from chiiki_analytics.services.forecasts import forecast_one, regional_forecast
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.db import session_scope
from chiiki_shared.errors import ApiError, NotFound
from chiiki_shared.security import Principal

logger = structlog.get_logger(__name__)

# A queued job asked for again after this long has its task sent again, in case it was lost.
RESEND_AFTER = timedelta(seconds=30)


async def submit(
    session: AsyncSession, client: StatsClient, principal: Principal, request: JobRequest
) -> tuple[Job, bool]:
    """The job for ``request`` and whether its task must be sent (after commit)."""
    indicators, fingerprint = await _subject(session, client, principal, request)
    params = request.model_dump(mode="json")
    key = await _key(session, params, indicators, fingerprint)
    created = await repository.insert_job(
        session, kind=request.kind, params=params, params_hash=key, user=principal.user_id
    )
    job = await repository.job_by_hash(session, key)
    if job.status == "failed":
        await repository.requeue_failed_job(session, job)
        return job, True
    lost = job.status == "queued" and job.created_at < datetime.now(UTC) - RESEND_AFTER
    return job, created or lost


async def _subject(
    session: AsyncSession, client: StatsClient, principal: Principal, request: JobRequest
) -> tuple[list[str], dict[str, Any]]:
    """The indicators a job reads, and what else decides its result; 404 for unknown ones."""
    if isinstance(request, PolicyEffectJob):
        policy = await policies.visible(session, principal, request.policy_id)
        content = policies.read(policy).model_dump(mode="json")
        return list(policy.target_indicators), content
    if isinstance(request, ForecastJob):
        await policies.check_references(client, request.region, [request.indicator])
    elif isinstance(request, RegionalForecastJob):
        await client.indicator(request.indicator)
    return [request.indicator], {}


async def _key(
    session: AsyncSession, params: dict[str, Any], indicators: list[str], subject: dict[str, Any]
) -> str:
    known = await repository.dataset_versions(session)
    versions = {
        dataset: row.version
        for dataset, row in known.items()
        if set(row.indicators) & set(indicators)
    }
    canonical = json.dumps(
        {"params": params, "subject": subject, "data": versions},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def visible_job(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> Job:
    """A job anyone signed in may read, except policy effects: only who may see the policy."""
    job = await repository.get_job(session, job_id)
    if job is None:
        raise NotFound(f"No job with id {job_id}", extra={"resource": "job"})
    if job.kind == "policy_effect":
        try:
            await policies.visible(session, principal, uuid.UUID(job.params["policy_id"]))
        except NotFound:
            raise NotFound(f"No job with id {job_id}", extra={"resource": "job"}) from None
    return job


# -- running (in the worker) ----------------------------------------------------------------------


async def run(
    sessions: async_sessionmaker[AsyncSession],
    client: StatsClient,
    job_id: uuid.UUID,
    *,
    stale_after: int,
) -> str:
    """Run a job once: a delivery that finds it taken or finished does nothing."""
    async with session_scope(sessions) as session:
        job = await repository.claim_job(session, job_id, stale_after=stale_after)
        claimed = (job.kind, dict(job.params)) if job else None
    if claimed is None:
        return "skipped"
    result, error = None, None
    try:
        result = await _execute(sessions, client, *claimed)
    except ApiError as exc:
        error = {"status": exc.status, "code": exc.code, "title": exc.title, "detail": exc.detail}
        error.update(exc.extra)
    except Exception:
        logger.exception("job_failed", job_id=str(job_id), kind=claimed[0])
        error = {
            "status": 500,
            "code": "internal-error",
            "title": "Internal server error",
            "detail": "The job failed; it has been logged.",
        }
    async with session_scope(sessions) as session:
        await repository.finish_job(session, job_id, result=result, error=error)
    return "failed" if error else "succeeded"


async def _execute(
    sessions: async_sessionmaker[AsyncSession],
    client: StatsClient,
    kind: str,
    params: dict[str, Any],
) -> dict[str, Any]:
    if kind == "forecast":
        document = await forecast_one(
            client,
            params["indicator"],
            params["region"],
            horizon=params["horizon"],
            as_of=params["as_of"],
        )
        return document.model_dump(mode="json")
    if kind == "regional_forecast":
        return await regional_forecast(
            client, params["indicator"], horizon=params["horizon"], as_of=params["as_of"]
        )
    async with session_scope(sessions) as session:
        policy = await repository.get_policy(session, uuid.UUID(params["policy_id"]))
    if policy is None:
        raise NotFound("The policy was deleted", extra={"resource": "policy"})
    return (await policy_effects.effect(client, policy)).model_dump(mode="json", by_alias=True)
