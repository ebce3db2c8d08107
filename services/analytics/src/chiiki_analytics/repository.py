"""All SQL of the analytics service. Functions flush; the request or task commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_analytics.models import (
    DatasetVersion,
    ForecastRun,
    Job,
    Policy,
    SeriesForecast,
    StoredForecast,
    StoredForecastPoint,
)

# -- policies -------------------------------------------------------------------------------------


async def add_policy(session: AsyncSession, policy: Policy) -> Policy:
    session.add(policy)
    await session.flush()
    await session.refresh(policy)
    return policy


async def get_policy(session: AsyncSession, policy_id: uuid.UUID) -> Policy | None:
    return await session.get(Policy, policy_id)


async def list_policies(
    session: AsyncSession,
    *,
    owner_id: str | None,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[Sequence[Policy], bool]:
    """Up to ``limit`` policies (everyone's when ``owner_id`` is None), newest first, after the
    policy ``after`` names (its creation time and id); and whether more follow."""
    query = select(Policy)
    if owner_id is not None:
        query = query.where(Policy.owner_id == owner_id)
    if after is not None:
        created, last_id = after
        query = query.where(
            or_(
                Policy.created_at < created,
                and_(Policy.created_at == created, Policy.id > last_id),
            )
        )
    page = query.order_by(Policy.created_at.desc(), Policy.id).limit(limit + 1)
    rows = (await session.scalars(page)).all()
    return rows[:limit], len(rows) > limit


async def delete_policy(session: AsyncSession, policy: Policy) -> None:
    await session.delete(policy)
    await session.flush()


# -- jobs -----------------------------------------------------------------------------------------


async def insert_job(
    session: AsyncSession, *, kind: str, params: dict[str, Any], params_hash: str, user: str | None
) -> bool:
    """Insert a queued job unless one with this hash exists; True when this call created it."""
    statement = (
        insert(Job)
        .values(
            id=uuid.uuid4(),
            kind=kind,
            params=params,
            params_hash=params_hash,
            status="queued",
            created_by=user,
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[Job.params_hash])
        .returning(Job.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def job_by_hash(session: AsyncSession, params_hash: str) -> Job:
    return (await session.scalars(select(Job).where(Job.params_hash == params_hash))).one()


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    return await session.get(Job, job_id)


async def requeue_failed_job(session: AsyncSession, job: Job) -> None:
    job.status, job.error, job.result, job.finished_at = "queued", None, None, None
    await session.flush()


async def claim_job(session: AsyncSession, job_id: uuid.UUID, *, stale_after: int) -> Job | None:
    """Mark a queued (or abandoned running) job as running; None when another worker has it or
    it is finished. The conditional update makes a redelivered task harmless."""
    now = datetime.now(UTC)
    statement = (
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.status == "queued",
                (Job.status == "running") & (Job.started_at < now - timedelta(seconds=stale_after)),
            ),
        )
        .values(status="running", started_at=now, attempts=Job.attempts + 1)
        .returning(Job)
    )
    return (await session.scalars(statement)).one_or_none()


async def finish_job(
    session: AsyncSession,
    job_id: uuid.UUID,
    *,
    result: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
) -> None:
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status="failed" if error else "succeeded",
            result=result,
            error=error,
            finished_at=datetime.now(UTC),
        )
    )


# -- dataset versions -----------------------------------------------------------------------------


async def record_dataset_version(
    session: AsyncSession, stats_data_id: str, version: int, indicators: list[str]
) -> bool:
    """Remember a dataset's announced version; False when it is not newer than the one known."""
    statement = (
        insert(DatasetVersion)
        .values(stats_data_id=stats_data_id, version=version, indicators=indicators)
        .on_conflict_do_update(
            index_elements=[DatasetVersion.stats_data_id],
            set_={"version": version, "indicators": indicators, "received_at": datetime.now(UTC)},
            where=DatasetVersion.version < version,
        )
        .returning(DatasetVersion.stats_data_id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def dataset_versions(session: AsyncSession) -> dict[str, DatasetVersion]:
    rows = await session.scalars(select(DatasetVersion))
    return {row.stats_data_id: row for row in rows}


# -- stored forecasts -----------------------------------------------------------------------------


async def start_run(
    session: AsyncSession, indicator: str, data_version: str, horizon: int, *, stale_after: int
) -> ForecastRun | None:
    """A new run for (indicator, data version); None when a run for that version is complete or
    in progress. A failed run, or one running for longer than ``stale_after`` seconds (its
    worker died), is replaced."""
    existing = await session.scalar(
        select(ForecastRun).where(
            ForecastRun.indicator == indicator, ForecastRun.data_version == data_version
        )
    )
    if existing is not None:
        abandoned = existing.status == "running" and existing.started_at < datetime.now(
            UTC
        ) - timedelta(seconds=stale_after)
        if existing.status == "complete" or (existing.status == "running" and not abandoned):
            return None
        await session.delete(existing)
        await session.flush()
    inserted = await session.scalar(
        insert(ForecastRun)
        .values(indicator=indicator, data_version=data_version, status="running", horizon=horizon)
        .on_conflict_do_nothing()
        .returning(ForecastRun.id)
    )
    return await session.get(ForecastRun, inserted) if inserted is not None else None


async def store_forecasts(
    session: AsyncSession,
    run: ForecastRun,
    rows: Sequence[tuple[str, dict[str, Any], str | None]],
    *,
    indicator_info: dict[str, Any],
    attribution: list[str],
) -> None:
    """Store each region's forecast document (or why it has none) and its periods, and mark the
    run complete."""
    session.add_all(_stored(run.id, region, doc, reason) for region, doc, reason in rows)
    await session.flush()
    points = [
        _point(run.id, region, horizon, point)
        for region, doc, reason in rows
        if reason is None
        for horizon, point in enumerate(doc["forecasts"], start=1)
    ]
    if points:
        await session.execute(insert(StoredForecastPoint), points)
    run.status, run.finished_at = "complete", datetime.now(UTC)
    run.indicator_info, run.attribution = indicator_info, attribution
    await session.flush()


def _stored(run_id: int, region: str, doc: dict[str, Any], reason: str | None) -> StoredForecast:
    if reason is not None:
        return StoredForecast(
            run_id=run_id, region_code=region, region=doc["region"], unavailable_reason=reason
        )
    return StoredForecast(
        run_id=run_id,
        region_code=region,
        region=doc["region"],
        model=doc["model"]["name"],
        accuracy=doc["accuracy"],
        observed_coverage=doc["intervals"]["observed_coverage"],
        last_observed=doc["history"][-1],
        document=doc,
    )


def _point(run_id: int, region: str, horizon: int, point: dict[str, Any]) -> dict[str, Any]:
    intervals = point["intervals"]
    return {
        "run_id": run_id,
        "region_code": region,
        "period": point["year"],
        "horizon": horizon,
        "value": point["value"],
        "lower_80": intervals["80"]["lower"],
        "upper_80": intervals["80"]["upper"],
        "lower_95": intervals["95"]["lower"],
        "upper_95": intervals["95"]["upper"],
    }


async def fail_run(session: AsyncSession, run_id: int, error: str) -> None:
    await session.execute(
        update(ForecastRun)
        .where(ForecastRun.id == run_id)
        .values(status="failed", error=error[:2000], finished_at=datetime.now(UTC))
    )


async def indicators_with_runs(session: AsyncSession) -> set[str]:
    """Indicators whose stored forecasts are in use: they are recomputed on new data."""
    return set((await session.scalars(select(ForecastRun.indicator).distinct())).all())


async def latest_complete_run(session: AsyncSession, indicator: str) -> ForecastRun | None:
    return await session.scalar(
        select(ForecastRun)
        .where(ForecastRun.indicator == indicator, ForecastRun.status == "complete")
        .order_by(ForecastRun.finished_at.desc(), ForecastRun.id.desc())
        .limit(1)
    )


async def forecasts_for_period(
    session: AsyncSession, run_id: int, period: int
) -> Sequence[tuple[StoredForecast, StoredForecastPoint | None]]:
    """Every region of a run with its forecast of ``period`` (None where it has none)."""
    query = (
        select(StoredForecast, StoredForecastPoint)
        .outerjoin(
            StoredForecastPoint,
            (StoredForecastPoint.run_id == StoredForecast.run_id)
            & (StoredForecastPoint.region_code == StoredForecast.region_code)
            & (StoredForecastPoint.period == period),
        )
        .where(StoredForecast.run_id == run_id)
        .order_by(StoredForecast.region_code)
    )
    return [(stored, point) for stored, point in (await session.execute(query)).all()]


async def period_range(session: AsyncSession, run_id: int) -> tuple[int | None, int | None]:
    query = select(func.min(StoredForecastPoint.period), func.max(StoredForecastPoint.period))
    first, last = (await session.execute(query.where(StoredForecastPoint.run_id == run_id))).one()
    return first, last


async def prune_runs(session: AsyncSession, indicator: str, keep: int) -> None:
    """Delete all but the ``keep`` newest complete runs of an indicator (and failed ones)."""
    kept = select(ForecastRun.id).where(
        ForecastRun.indicator == indicator, ForecastRun.status == "complete"
    )
    kept = kept.order_by(ForecastRun.finished_at.desc()).limit(keep)
    await session.execute(
        delete(ForecastRun).where(
            ForecastRun.indicator == indicator,
            ForecastRun.status != "running",
            ForecastRun.id.not_in(kept.scalar_subquery()),
        )
    )


# -- stored series forecasts ----------------------------------------------------------------------


async def series_forecast(
    session: AsyncSession, indicator: str, region: str, horizon: int
) -> SeriesForecast | None:
    return await session.get(SeriesForecast, (indicator, region, horizon))


async def store_series_forecast(
    session: AsyncSession,
    *,
    indicator: str,
    region: str,
    horizon: int,
    data_version: str,
    versions: dict[str, int],
    body: str,
    representation: str,
) -> None:
    """Keep the newest fit of (indicator, region, horizon), replacing the one before."""
    values = {
        "data_version": data_version,
        "versions": versions,
        "body": body,
        "representation": representation,
    }
    statement = insert(SeriesForecast).values(
        indicator=indicator, region_code=region, horizon=horizon, **values
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                SeriesForecast.indicator,
                SeriesForecast.region_code,
                SeriesForecast.horizon,
            ],
            set_={**values, "computed_at": func.now()},
        )
    )
