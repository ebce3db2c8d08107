"""Forecasts of every prefecture stored per data version: precomputed by the worker, read by the
map without fitting anything (see docs/analytics.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chiiki_analytics import repository
from chiiki_analytics.answers import PrefectureForecasts
from chiiki_analytics.data import load_panel, parse_data_version
from chiiki_analytics.exceptions import ForecastsPending
from chiiki_analytics.models import ForecastRun, StoredForecast, StoredForecastPoint
from chiiki_analytics.periods import label
from chiiki_analytics.services.forecasts import forecast_all
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.db import session_scope
from chiiki_shared.errors import NotFound, UnprocessableInput

RUNS_KEPT = 3
PENDING_RETRY_SECONDS = 10


async def latest_run(
    session: AsyncSession,
    client: StatsClient,
    indicator: str,
    *,
    request_precompute: Callable[[], Awaitable[None]],
) -> tuple[ForecastRun, bool]:
    """The newest complete run of ``indicator`` and whether it is stale: what the map's answer
    (and its ETag) is made of. Before the first computation the worker is asked for one and the
    answer is 503."""
    run = await repository.latest_complete_run(session, indicator)
    if run is None:
        await client.indicator(indicator)  # 404 when the indicator does not exist
        await request_precompute()
        raise ForecastsPending(
            f"Forecasts of {indicator} are being computed; try again shortly",
            headers={"Retry-After": str(PENDING_RETRY_SECONDS)},
        )
    return run, await _is_stale(session, run)


async def stored_for_period(
    session: AsyncSession, run: ForecastRun, period: int, *, stale: bool
) -> PrefectureForecasts:
    """Every prefecture's stored forecast of ``run`` for ``period``: a read, no model fit."""
    rows = await repository.forecasts_for_period(session, run.id, period)
    if all(point is None for _, point in rows):
        first, last = await repository.period_range(session, run.id)
        covered = f"they cover {first}-{last}" if first else "no region could be forecast"
        raise UnprocessableInput(
            f"No stored forecast of {run.indicator} covers {period}: {covered} "
            f"({run.horizon} periods ahead of each region's data)",
            code="period-out-of-range",
        )
    # The year forecast is labelled as the regions' data were (FY2025 after FY2020).
    observed = {
        int(stored.last_observed["year"]): str(stored.last_observed["period"])
        for stored, _ in rows
        if stored.last_observed
    }
    return PrefectureForecasts.model_validate(
        {
            "indicator": run.indicator_info,
            "period": label(period, observed),
            "year": period,
            "data_version": run.data_version,
            "computed_at": run.finished_at,
            "stale": stale,
            "regions": [_at_period(stored, point) for stored, point in rows],
            "attribution": run.attribution or [],
        }
    )


def _at_period(stored: StoredForecast, point: StoredForecastPoint | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"region": stored.region, "value": None}
    if stored.unavailable_reason is not None or point is None:
        reason = stored.unavailable_reason or "this period is outside the region's forecasts"
        return {**entry, "reason": reason}
    return {
        **entry,
        "value": point.value,
        "intervals": {
            "80": {"lower": point.lower_80, "upper": point.upper_80},
            "95": {"lower": point.lower_95, "upper": point.upper_95},
        },
        "horizon": point.horizon,
        "model": stored.model,
        "accuracy": stored.accuracy,
        "observed_coverage": stored.observed_coverage,
        "last_observed": stored.last_observed,
        "reason": None,
    }


async def _is_stale(session: AsyncSession, run: ForecastRun) -> bool:
    """True when stats announced a newer version of a dataset the run was made from."""
    known = await repository.dataset_versions(session)
    return any(
        dataset in known and known[dataset].version > version
        for dataset, version in parse_data_version(run.data_version).items()
    )


async def precompute(
    session_factory: async_sessionmaker[AsyncSession],
    client: StatsClient,
    indicator: str,
    *,
    horizon: int,
    stale_after: int,
) -> str:
    """Compute and store every prefecture's forecast for the current data, once per version.

    The data are fetched first; the run is claimed in its own transaction, so a second worker
    with the same version skips; the models run outside any transaction.
    """
    try:
        panel = await load_panel(client, indicator, None)
    except NotFound:
        return "unknown-indicator"
    async with session_scope(session_factory) as session:
        run = await repository.start_run(
            session, indicator, panel.data_version, horizon, stale_after=stale_after
        )
        run_id = run.id if run else None
    if run_id is None:
        return "up-to-date"
    try:
        rows = await asyncio.to_thread(forecast_all, panel, horizon)
    except Exception as exc:
        async with session_scope(session_factory) as session:
            await repository.fail_run(session, run_id, f"{type(exc).__name__}: {exc}")
        raise
    async with session_scope(session_factory) as session:
        run = await session.get(ForecastRun, run_id)
        if run is None:  # only a concurrent delete of the run it just created
            raise LookupError(f"forecast run {run_id} vanished")
        await repository.store_forecasts(
            session,
            run,
            rows,
            indicator_info=panel.indicator.summary(),
            attribution=panel.attribution,
        )
        await repository.prune_runs(session, indicator, keep=RUNS_KEPT)
    return "computed"
