"""Celery tasks of the analytics service, named ``analytics.<verb>_<noun>``.

Each task runs its async work with ``asyncio.run``: the database engine, Redis client and stats
client are created inside that event loop and closed before it ends (asyncpg connections cannot
cross event loops). Every task is idempotent.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import structlog
from celery import shared_task
from pydantic import BaseModel, ConfigDict, Field

from chiiki_analytics import jobs, repository
from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.exceptions import DataKeptChanging
from chiiki_analytics.messaging import DATASET_UPDATED, PRECOMPUTE_FORECASTS, RUN_JOB, send
from chiiki_analytics.series_forecasts import precompute_series
from chiiki_analytics.service_auth import service_authorization
from chiiki_analytics.stats_client import StatsClient
from chiiki_analytics.stored_forecasts import precompute
from chiiki_shared.db import session_scope
from chiiki_shared.errors import ServiceUnavailable
from chiiki_shared.runtime import Runtime

logger = structlog.get_logger(__name__)
T = TypeVar("T")


class DatasetUpdated(BaseModel):
    """``analytics.dataset_updated`` (docs/bus-contract.md)."""

    model_config = ConfigDict(extra="ignore")

    stats_data_id: str = Field(min_length=1, max_length=32)
    version: int = Field(ge=1)
    indicators: list[str] = Field(default_factory=list, max_length=1000)


def run_async(work: Callable[[Runtime, StatsClient], Awaitable[T]]) -> T:
    """Run ``work`` in a fresh event loop, with a runtime and a stats client made in it."""

    async def main() -> T:
        settings = AnalyticsSettings()
        runtime = Runtime.open(settings)
        client = StatsClient.connect(
            settings.stats_internal_url,
            timeout=settings.stats_timeout_seconds,
            authorization=await service_authorization(settings),
        )
        try:
            return await work(runtime, client)
        finally:
            await client.aclose()
            await runtime.close()

    return asyncio.run(main())


@shared_task(name="analytics.ping")
def ping() -> str:
    """Answers when an analytics worker consumes its queue; used by health checks and tests."""
    logger.info("ping")
    return "pong"


@shared_task(name=DATASET_UPDATED)
def dataset_updated(payload: dict[str, Any]) -> list[str]:
    """Remember the new version and recompute the stored forecasts it makes out of date."""
    message = DatasetUpdated.model_validate(payload)
    settings = AnalyticsSettings()

    async def record(runtime: Runtime, _: StatsClient) -> tuple[bool, set[str]]:
        async with session_scope(runtime.sessions) as session:
            newer = await repository.record_dataset_version(
                session, message.stats_data_id, message.version, message.indicators
            )
            return newer, await repository.indicators_with_runs(session)

    newer, in_use = run_async(record)
    wanted = in_use | set(settings.precompute_indicators)
    recompute = [indicator for indicator in message.indicators if indicator in wanted]
    logger.info(
        "dataset_updated",
        stats_data_id=message.stats_data_id,
        version=message.version,
        newer=newer,
        recompute=recompute,
    )
    # Sent even for a version already known: precomputation skips what is up to date, and a
    # redelivered message may follow a crash between the commit above and these sends.
    for indicator in recompute:
        send(PRECOMPUTE_FORECASTS, {"indicator": indicator})
    return recompute


# Stats not answering, or its data changing under every fit, is worth waiting for; anything else
# is logged as the task's failure. A retry redoes only what is out of date.
@shared_task(
    name=PRECOMPUTE_FORECASTS,
    autoretry_for=(ServiceUnavailable, DataKeptChanging),
    retry_backoff=5,
    max_retries=5,
)
def precompute_forecasts(payload: dict[str, Any]) -> str:
    """Every prefecture's forecasts of one indicator, stored for the current data version: the
    map's (one run per version) and each series' answers of ``GET /api/forecasts``."""
    indicator = str(payload["indicator"])
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
            runtime.sessions, client, indicator, horizons=settings.stored_horizons
        )
        # The map was made from the data of the task's start. A version published since may
        # have been announced before this indicator had a run (so without asking for it): made
        # now, or "up-to-date" when nothing changed.
        if await the_map() == "computed":
            outcome = "computed"
        return outcome, series

    outcome, series = run_async(work)
    logger.info("forecasts_precomputed", indicator=indicator, outcome=outcome, series=series)
    if series.get("changed"):
        raise DataKeptChanging(f"{series['changed']} series of {indicator} could not be stored")
    return outcome


@shared_task(name=RUN_JOB)
def run_job(payload: dict[str, Any]) -> str:
    job_id = uuid.UUID(str(payload["job_id"]))
    settings = AnalyticsSettings()

    async def work(runtime: Runtime, client: StatsClient) -> str:
        return await jobs.run(
            runtime.sessions, client, job_id, stale_after=settings.job_stale_seconds
        )

    outcome = run_async(work)
    logger.info("job_ran", job_id=str(job_id), outcome=outcome)
    return outcome
