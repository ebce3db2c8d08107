"""Run outcomes as Prometheus metrics, derived from the ``runs`` table by the API process.

Runs execute in Celery workers: separate processes (prefork children come and go), possibly on
several machines. Counters kept in those processes would need prometheus_client's multiprocess
directory per machine or a push gateway, and would reset when a child is replaced. The ``runs``
table already records every outcome durably and exactly, so the ingest API refreshes a snapshot
of a few aggregate queries every ``INGEST_METRICS_REFRESH_SECONDS`` and serves it on its
``/metrics``: any number of workers, restarts lose nothing, and the numbers agree with the API.

The seed's "daily update success" is measured over scheduled ticks only (``ticks``): one outcome
per catalog table and due tick, whatever manual runs happened around it.

The e-Stat request metrics are not in the database: every worker's client counts its requests
into Redis hashes (``estat_guard``), which the snapshot reads back, so they too add up across
processes and machines and survive a worker's restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
import structlog
from prometheus_client import REGISTRY
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from redis.exceptions import RedisError

from chiiki_ingest import estat_guard, ticks
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.models import Run, RunStatus
from chiiki_shared.runtime import Runtime

logger = structlog.get_logger("chiiki_ingest.metrics")

DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600)
DAYS = 7
FINAL = (RunStatus.SUCCEEDED.value, RunStatus.FAILED.value, RunStatus.BLOCKED.value)


@dataclass
class Snapshot:
    taken_at: float
    created: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_day: dict[tuple[str, str], int] = field(default_factory=dict)
    duration_buckets: list[int] = field(default_factory=list)
    duration_count: int = 0
    duration_sum: float = 0.0
    cells_published: dict[str, int] = field(default_factory=dict)
    last_success: dict[str, float] = field(default_factory=dict)
    # (Asia/Tokyo day, outcome, trigger) -> scheduled ticks due that day, last 30 days
    ticks_by_day: dict[tuple[str, str, str], int] = field(default_factory=dict)
    ticks_missed: int = 0
    last_ticks: dict[str, ticks.LastTick] = field(default_factory=dict)
    # None when Redis could not be read: the request metrics are left out, not shown as zero
    estat: estat_guard.RequestCounts | None = None


class RunMetrics(Collector):
    def __init__(self) -> None:
        self.snapshot: Snapshot | None = None

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        snapshot = self.snapshot
        if snapshot is None:
            return
        # A run moves between statuses (queued -> running -> ..., even failed -> succeeded when
        # stats answers late): the count per status is a gauge; only the runs created only grow.
        yield CounterMetricFamily(
            "ingest_runs_created", "Runs created, by any trigger", value=snapshot.created
        )
        runs = GaugeMetricFamily("ingest_runs", "Runs by their current status", labels=["status"])
        for status in RunStatus:
            runs.add_metric([status.value], snapshot.by_status.get(status.value, 0))
        yield runs
        daily = GaugeMetricFamily(
            "ingest_runs_finished_by_day",
            f"Runs finished per day (Asia/Tokyo) over the last {DAYS} days, by status",
            labels=["day", "status"],
        )
        for day in sorted({day for day, _ in snapshot.by_day}):
            for final_status in FINAL:
                daily.add_metric([day, final_status], snapshot.by_day.get((day, final_status), 0))
        yield daily
        bounds = [str(float(b)) for b in DURATION_BUCKETS] + ["+Inf"]
        yield HistogramMetricFamily(
            "ingest_run_duration_seconds",
            "Time from a run's start to its end, finished runs",
            buckets=list(zip(bounds, snapshot.duration_buckets, strict=True)),
            sum_value=snapshot.duration_sum,
        )
        cells = CounterMetricFamily(
            "ingest_cells_published",
            "Cells of the versions published to stats and applied",
            labels=["stats_data_id"],
        )
        for stats_data_id, count in sorted(snapshot.cells_published.items()):
            cells.add_metric([stats_data_id], count)
        yield cells
        last = GaugeMetricFamily(
            "ingest_last_success_timestamp_seconds",
            "When the dataset's last successful run finished",
            labels=["stats_data_id"],
        )
        for stats_data_id, at in sorted(snapshot.last_success.items()):
            last.add_metric([stats_data_id], at)
        yield last
        yield from scheduled_metrics(snapshot)
        if snapshot.estat is not None:
            yield from estat_metrics(snapshot.estat)
        yield GaugeMetricFamily(
            "ingest_metrics_snapshot_timestamp_seconds",
            "When these ingest metrics were read from the runs table",
            value=snapshot.taken_at,
        )


def scheduled_metrics(snapshot: Snapshot) -> Iterator[Metric]:
    outcomes = GaugeMetricFamily(
        "ingest_scheduled_outcomes",
        f"Scheduled ticks due per day (Asia/Tokyo), last {DAYS} days, by outcome and trigger",
        labels=["day", "outcome", "trigger"],
    )
    ratio = GaugeMetricFamily(
        "ingest_scheduled_success_ratio",
        "Share of the tables due on a scheduled tick that day that succeeded or were unchanged",
        labels=["day"],
    )
    days = sorted({day for day, _, _ in snapshot.ticks_by_day})
    for day in days[-DAYS:]:
        for (d, outcome, trigger), count in sorted(snapshot.ticks_by_day.items()):
            if d == day:
                outcomes.add_metric([day, outcome, trigger], count)
        value = ticks.success_ratio(_by_outcome(snapshot, day))
        if value is not None:
            ratio.add_metric([day], value)
    yield outcomes
    yield ratio
    window = ticks.success_ratio(_by_outcome(snapshot, None))
    window_ratio = GaugeMetricFamily(
        f"ingest_scheduled_success_ratio_{ticks.WINDOW_DAYS}d",
        f"The same share over the scheduled ticks of the last {ticks.WINDOW_DAYS} days",
    )
    if window is not None:
        window_ratio.add_metric([], window)
    yield window_ratio
    yield CounterMetricFamily(
        "ingest_schedule_ticks_missed",
        "Scheduled ticks that had not run in time (beat or workers down)",
        value=snapshot.ticks_missed,
    )
    last = GaugeMetricFamily(
        "ingest_schedule_last_tick_timestamp_seconds",
        "When each table's latest scheduled tick was due, labelled with its outcome",
        labels=["stats_data_id", "outcome", "trigger"],
    )
    for stats_data_id, tick in sorted(snapshot.last_ticks.items()):
        last.add_metric([stats_data_id, tick.outcome, tick.trigger], tick.due_at.timestamp())
    yield last


def estat_metrics(counts: estat_guard.RequestCounts) -> Iterator[Metric]:
    latency = HistogramMetricFamily(
        "ingest_estat_request_duration_seconds",
        "Time of each e-Stat HTTP request (one attempt, without waiting for a slot)",
        labels=["endpoint"],
    )
    for endpoint, buckets in sorted(counts.latency.items()):
        latency.add_metric(
            [endpoint], estat_guard.cumulative(buckets), counts.latency_sum.get(endpoint, 0.0)
        )
    yield latency
    responses = CounterMetricFamily(
        "ingest_estat_responses",
        "e-Stat answers by endpoint, HTTP status and e-Stat RESULT.STATUS ('none': no answer"
        " or no STATUS in it)",
        labels=["endpoint", "http_status", "estat_status"],
    )
    for labels, count in sorted(counts.responses.items()):
        responses.add_metric(list(labels), count)
    yield responses
    retries = CounterMetricFamily(
        "ingest_estat_retries",
        "e-Stat requests retried, by endpoint and the reason of the failed attempt",
        labels=["endpoint", "reason"],
    )
    for (endpoint, reason), count in sorted(counts.retries.items()):
        retries.add_metric([endpoint, reason], count)
    yield retries


def _by_outcome(snapshot: Snapshot, day: str | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for (d, outcome, _), count in snapshot.ticks_by_day.items():
        if day is None or d == day:
            counts[outcome] = counts.get(outcome, 0) + count
    return counts


RUN_METRICS = RunMetrics()
REGISTRY.register(RUN_METRICS)


async def take_snapshot(runtime: Runtime) -> Snapshot:
    snapshot = Snapshot(taken_at=time.time())
    duration = sa.func.extract("epoch", Run.finished_at - Run.started_at)
    finished = sa.and_(Run.status.in_(FINAL), Run.started_at.is_not(None))
    day = sa.func.to_char(sa.func.timezone("Asia/Tokyo", Run.finished_at), "YYYY-MM-DD")
    async with runtime.sessions() as session:
        for status, count in await session.execute(
            sa.select(Run.status, sa.func.count()).group_by(Run.status)
        ):
            snapshot.by_status[status] = count
        snapshot.created = sum(snapshot.by_status.values())
        recent = Run.finished_at >= sa.func.now() - sa.text(f"interval '{DAYS} days'")
        for label, status, count in await session.execute(
            sa.select(day, Run.status, sa.func.count())
            .where(Run.status.in_(FINAL), recent)
            .group_by(day, Run.status)
        ):
            snapshot.by_day[(label, status)] = count
        columns = [
            sa.func.count().filter(duration <= bound).label(f"le_{i}")
            for i, bound in enumerate(DURATION_BUCKETS)
        ]
        row = (
            await session.execute(
                sa.select(*columns, sa.func.count(), sa.func.coalesce(sa.func.sum(duration), 0))
                .select_from(Run)
                .where(finished)
            )
        ).one()
        snapshot.duration_buckets = [int(v) for v in row[: len(DURATION_BUCKETS)]]
        snapshot.duration_count = int(row[len(DURATION_BUCKETS)])
        snapshot.duration_buckets.append(snapshot.duration_count)
        snapshot.duration_sum = float(row[-1])
        succeeded = Run.status == RunStatus.SUCCEEDED.value
        for stats_data_id, cells in await session.execute(
            sa.select(Run.stats_data_id, sa.func.sum(Run.cell_count))
            .where(succeeded, Run.outcome == "published")
            .group_by(Run.stats_data_id)
        ):
            snapshot.cells_published[stats_data_id] = int(cells or 0)
        for stats_data_id, at in await session.execute(
            sa.select(Run.stats_data_id, sa.func.max(Run.finished_at))
            .where(succeeded)
            .group_by(Run.stats_data_id)
        ):
            if at is not None:
                snapshot.last_success[stats_data_id] = at.timestamp()
        window_start = datetime.now(UTC) - timedelta(days=ticks.WINDOW_DAYS)
        snapshot.ticks_by_day = await ticks.outcome_counts(session, window_start)
        snapshot.ticks_missed = await ticks.missed_total(session)
        snapshot.last_ticks = await ticks.last_ticks(session)
    settings: IngestSettings = runtime.settings  # type: ignore[assignment]
    try:
        snapshot.estat = await estat_guard.read_counts(runtime.redis, settings)
    except RedisError as error:
        logger.warning("ingest.estat_metrics_unreadable", error=type(error).__name__)
    return snapshot


async def refresh_forever(runtime: Runtime, interval: float) -> None:
    while True:
        try:
            RUN_METRICS.snapshot = await take_snapshot(runtime)
        except Exception as error:  # the database may be down; /readyz reports that
            logger.warning("ingest.metrics_refresh_failed", error=type(error).__name__)
        await asyncio.sleep(interval)


async def start(runtime: Runtime) -> None:
    runtime.extras["metrics_task"] = asyncio.create_task(
        refresh_forever(runtime, runtime.settings.metrics_refresh_seconds)  # type: ignore[attr-defined]
    )


async def stop(runtime: Runtime) -> None:
    task = runtime.extras.pop("metrics_task", None)
    if isinstance(task, asyncio.Task):
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
