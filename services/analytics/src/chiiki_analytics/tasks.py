"""Celery tasks of the analytics service, named ``analytics.<verb>_<noun>``.

Each task runs its async work on the worker process's event loop and runtime
(``chiiki_shared.task_runtime``); the stats client is made per task, with a fresh service token.
Messages leave only after the transaction that makes them true committed. Every task is
idempotent; a payload the contract does not allow is logged and dropped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from celery import shared_task

from chiiki_analytics import repository
from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.exceptions import DataKeptChanging
from chiiki_analytics.messaging import PrecomputeForecasts, RunJob, celery_app
from chiiki_analytics.service_auth import service_authorization
from chiiki_analytics.services import jobs
from chiiki_analytics.services.series_forecasts import precompute_series
from chiiki_analytics.services.stored_forecasts import precompute
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.bus import Outbox
from chiiki_shared.cache import query_cache
from chiiki_shared.contracts import DatasetUpdated
from chiiki_shared.errors import ServiceUnavailable
from chiiki_shared.runtime import Runtime
from chiiki_shared.task_runtime import TaskRuntime

logger = structlog.get_logger(__name__)
T = TypeVar("T")


RUNTIME = TaskRuntime(AnalyticsSettings, celery_app)


def with_stats(work: Callable[[Runtime, StatsClient], Awaitable[T]]) -> T:
    """Run ``work`` with the process's runtime and a stats client made for this task."""
    settings = AnalyticsSettings()

    async def main(runtime: Runtime) -> T:
        client = StatsClient.connect(
            settings.stats_internal_url,
            timeout=settings.stats_timeout_seconds,
            authorization=await service_authorization(settings),
        )
        try:
            return await work(runtime, client)
        finally:
            await client.aclose()

    return RUNTIME.run(main)


@shared_task(name="analytics.ping")
def ping() -> str:
    """Answers when an analytics worker consumes its queue; used by health checks and tests."""
    logger.info("ping")
    return "pong"


@shared_task(name=DatasetUpdated.TASK)
def dataset_updated(payload: dict[str, Any]) -> list[str]:
    """Remember the new version and recompute the stored forecasts it makes out of date."""
    message = DatasetUpdated.receive(payload)
    if message is None:
        return []
    wanted_by_settings = set(AnalyticsSettings().precompute_indicators)

    async def record(session: Any, outbox: Outbox) -> tuple[bool, list[str]]:
        newer = await repository.record_dataset_version(
            session, message.stats_data_id, message.version, message.indicators
        )
        wanted = await repository.indicators_with_runs(session) | wanted_by_settings
        recompute = [indicator for indicator in message.indicators if indicator in wanted]
        # Sent even for a version already known: precomputation skips what is up to date, and
        # a redelivered message may follow a crash between the commit and these sends.
        for indicator in recompute:
            outbox.add(PrecomputeForecasts(indicator=indicator))
        return newer, recompute

    newer, recompute = RUNTIME.transaction(record)
    logger.info(
        "dataset_updated",
        stats_data_id=message.stats_data_id,
        version=message.version,
        newer=newer,
        recompute=recompute,
    )
    return recompute


# Stats not answering, or its data changing under every fit, is worth waiting for; anything else
# is logged as the task's failure. A retry redoes only what is out of date.
@shared_task(
    name=PrecomputeForecasts.TASK,
    autoretry_for=(ServiceUnavailable, DataKeptChanging),
    retry_backoff=5,
    max_retries=5,
)
def precompute_forecasts(payload: dict[str, Any]) -> str:
    """Every prefecture's forecasts of one indicator, stored for the current data version: the
    map's (one run per version) and each series' answers of ``GET /api/forecasts``."""
    message = PrecomputeForecasts.receive(payload)
    if message is None:
        return "invalid"
    indicator = message.indicator
    settings = AnalyticsSettings()

    async def work(runtime: Runtime, client: StatsClient) -> tuple[str, dict[str, int]]:
        async def the_map() -> str:
            return await precompute(
                runtime.sessions,
                client,
                indicator,
                horizon=settings.precompute_horizon,
                stale_after=settings.job_stale_seconds,
            )

        outcome = await the_map()
        if outcome == "unknown-indicator":
            return outcome, {}
        series = await precompute_series(
            runtime.sessions,
            client,
            indicator,
            horizons=settings.stored_horizons,
            cache=query_cache(runtime),
        )
        # The map was made from the data of the task's start. A version published since may
        # have been announced before this indicator had a run (so without asking for it): made
        # now, or "up-to-date" when nothing changed.
        if await the_map() == "computed":
            outcome = "computed"
        return outcome, series

    outcome, series = with_stats(work)
    logger.info("forecasts_precomputed", indicator=indicator, outcome=outcome, series=series)
    if series.get("changed"):
        raise DataKeptChanging(f"{series['changed']} series of {indicator} could not be stored")
    return outcome


@shared_task(name=RunJob.TASK)
def run_job(payload: dict[str, Any]) -> str:
    message = RunJob.receive(payload)
    if message is None:
        return "invalid"
    job_id = message.job_id
    settings = AnalyticsSettings()

    async def work(runtime: Runtime, client: StatsClient) -> str:
        return await jobs.run(
            runtime.sessions, client, job_id, stale_after=settings.job_stale_seconds
        )

    outcome = with_stats(work)
    logger.info("job_ran", job_id=str(job_id), outcome=outcome)
    return outcome
