"""Tables of the analytics service, all in the ``analytics`` schema.

Analytics keeps only what it computes and what it was told: policies users track, jobs and their
results, forecasts precomputed per indicator and data version, and the dataset versions stats
announced. The statistics themselves stay in the stats service.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chiiki_shared.db import schema_metadata

JOB_STATUSES = ("queued", "running", "succeeded", "failed")
RUN_STATUSES = ("running", "complete", "failed")


class Base(DeclarativeBase):
    metadata = schema_metadata("analytics")


def _now_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now())


class Policy(Base):
    """A policy a user tracks: where and when it started, and which indicators it should move."""

    __tablename__ = "policies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # The ``sub`` of the creator's access token; analytics has no users table of its own.
    owner_id: Mapped[str] = mapped_column(String(128), index=True)
    name: Mapped[str] = mapped_column(String(200))
    region_code: Mapped[str] = mapped_column(String(5))
    start_period: Mapped[int] = mapped_column(Integer)
    target_indicators: Mapped[list[str]] = mapped_column(JSONB)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class Job(Base):
    """A computation run by the worker. ``params_hash`` makes equal requests one job."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name="status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict[str, Any]] = mapped_column(JSONB)
    params_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    # A problem document (code, status, detail) when the job failed.
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_by: Mapped[str | None] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _now_column()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ForecastRun(Base):
    """The forecasts of one indicator for every prefecture, made from one version of the data."""

    __tablename__ = "forecast_runs"
    __table_args__ = (
        UniqueConstraint("indicator", "data_version"),
        CheckConstraint("status IN ('running', 'complete', 'failed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    indicator: Mapped[str] = mapped_column(String(100), index=True)
    # The versions of the datasets the indicator's values came from, e.g. "ssdse-b-2023@2".
    data_version: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="running")
    horizon: Mapped[int] = mapped_column(Integer)
    # What the map shows beside the numbers: the indicator's names and unit, the attributions.
    indicator_info: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    attribution: Mapped[list[str] | None] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = _now_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StoredForecast(Base):
    """One region's forecast in a run: its model and accuracy, or why there is none. The whole
    document is kept too, but map reads use the columns and ``StoredForecastPoint`` only."""

    __tablename__ = "stored_forecasts"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("forecast_runs.id", ondelete="CASCADE"), primary_key=True
    )
    region_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    region: Mapped[dict[str, Any]] = mapped_column(JSONB)
    model: Mapped[str | None] = mapped_column(String(32))
    accuracy: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    observed_coverage: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    last_observed: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    unavailable_reason: Mapped[str | None] = mapped_column(Text)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSONB, deferred=True)


class StoredForecastPoint(Base):
    """One forecast period of a stored forecast: what a map of that period reads."""

    __tablename__ = "stored_forecast_points"
    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id", "region_code"],
            ["stored_forecasts.run_id", "stored_forecasts.region_code"],
            ondelete="CASCADE",
        ),
    )

    run_id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    horizon: Mapped[int] = mapped_column(Integer)
    value: Mapped[float] = mapped_column(Float)
    lower_80: Mapped[float] = mapped_column(Float)
    upper_80: Mapped[float] = mapped_column(Float)
    lower_95: Mapped[float] = mapped_column(Float)
    upper_95: Mapped[float] = mapped_column(Float)


class DatasetVersion(Base):
    """The latest version of each dataset that stats announced (``analytics.dataset_updated``)."""

    __tablename__ = "dataset_versions"

    stats_data_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    indicators: Mapped[list[str]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = _now_column()


class SeriesForecast(Base):
    """One region's ``GET /api/forecasts`` answer for one horizon, fitted by the worker: the exact
    bytes an on-demand fit gives, with every dataset version stats reported when it was made."""

    __tablename__ = "series_forecasts"

    indicator: Mapped[str] = mapped_column(String(100), primary_key=True)
    region_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    horizon: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_version: Mapped[str] = mapped_column(String(500))
    # dataset -> version of every dataset stats served when the fit was made.
    versions: Mapped[dict[str, int]] = mapped_column(JSONB)
    body: Mapped[str] = mapped_column(Text)
    # The answer's shape (series_forecasts.REPRESENTATION_VERSION when stored): a row of another
    # shape is never served, and is fitted again.
    representation: Mapped[str] = mapped_column(String(20), server_default="1")
    computed_at: Mapped[datetime] = _now_column()
