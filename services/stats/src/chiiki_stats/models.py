"""Tables of the stats service, all in the ``stats`` schema.

Reference data (regions, the indicator catalog, boundaries) is loaded from the package by
``reference.py``; datasets, series and observations arrive from the bus (``consumer.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chiiki_shared.db import schema_metadata
from chiiki_stats.periods import PeriodKind

SCHEMA = "stats"


class Base(DeclarativeBase):
    metadata = schema_metadata(SCHEMA)


PERIOD_KIND = Enum(
    PeriodKind,
    name="period_kind",
    schema=SCHEMA,
    values_callable=lambda kinds: [kind.value for kind in kinds],
)


class Region(Base):
    """The nation, prefectures, municipalities, wards and former municipalities, with e-Stat's
    5-character area codes (letters allowed: ``0120B``)."""

    __tablename__ = "regions"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(String(5))
    prefecture_code: Mapped[str | None] = mapped_column(String(5))
    name_ja: Mapped[str] = mapped_column(Text)
    name_kana: Mapped[str | None] = mapped_column(Text)
    name_en: Mapped[str | None] = mapped_column(Text)
    estat_level: Mapped[str | None] = mapped_column(String(2))
    area_km2: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    lat: Mapped[Decimal | None] = mapped_column(Numeric(10, 7))
    lng: Mapped[Decimal | None] = mapped_column(Numeric(10, 7))
    # e-Stat's own order of its area list: each prefecture followed by its municipalities.
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint(
            "level IN ('nation', 'prefecture', 'municipality', 'ward', 'other')", name="level"
        ),
        Index("ix_regions_level_position", "level", "position"),
        Index("ix_regions_parent_code", "parent_code"),
    )


class Indicator(Base):
    """An entry of the curated catalog (``population.total``...)."""

    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_ja: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32), index=True)
    unit: Mapped[str] = mapped_column(Text)
    unit_en: Mapped[str] = mapped_column(Text)
    definition: Mapped[str] = mapped_column(Text)
    higher_is_better: Mapped[bool | None] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)


class IndicatorSource(Base):
    """Where an indicator's values come from, best first: a series of a dataset (selected by
    its classification codes) or a formula over other indicators."""

    __tablename__ = "indicator_sources"

    indicator_code: Mapped[str] = mapped_column(
        ForeignKey("indicators.code", ondelete="CASCADE"), primary_key=True
    )
    priority: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    dataset_id: Mapped[str | None] = mapped_column(String(32))
    series: Mapped[dict[str, str] | None] = mapped_column(JSONB(none_as_null=True))
    scale: Mapped[Decimal | None] = mapped_column(Numeric)
    label: Mapped[str | None] = mapped_column(Text)
    published_unit: Mapped[str | None] = mapped_column(Text)
    formula: Mapped[dict[str, Any] | None] = mapped_column(JSONB(none_as_null=True))

    __table_args__ = (
        CheckConstraint(
            "(dataset_id IS NOT NULL AND series IS NOT NULL AND formula IS NULL)"
            " OR (dataset_id IS NULL AND series IS NULL AND formula IS NOT NULL)",
            name="series_or_formula",
        ),
        Index("ix_indicator_sources_dataset_id", "dataset_id"),
    )


class ReferenceState(Base):
    """The content hash of each reference file last loaded, so loading again is a no-op."""

    __tablename__ = "reference_state"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(80))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Boundary(Base):
    """The boundary topology (TopoJSON, quantised) of a region level, with its release."""

    __tablename__ = "boundaries"

    level: Mapped[str] = mapped_column(String(16), primary_key=True)
    release: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(80))
    topology: Mapped[dict[str, Any]] = mapped_column(JSONB)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Dataset(Base):
    """One e-Stat table (``statsDataId``) and its current version."""

    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    statistics_name: Mapped[str] = mapped_column(Text)
    organisation: Mapped[str] = mapped_column(Text)
    survey_date: Mapped[str | None] = mapped_column(Text)
    open_date: Mapped[str | None] = mapped_column(Text)
    updated_date: Mapped[str | None] = mapped_column(Text)
    attribution: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(80))
    cell_count: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # [{"mark": "-", "meaning": "..."}], as DATA_INF.NOTE says.
    notes: Mapped[list[dict[str, str]]] = mapped_column(JSONB)


class DatasetVersion(Base):
    """Every version a dataset went through, and the ingest run that made it."""

    __tablename__ = "dataset_versions"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), unique=True)
    content_hash: Mapped[str] = mapped_column(String(80))
    cell_count: Mapped[int] = mapped_column(Integer)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    table_info: Mapped[dict[str, Any]] = mapped_column(JSONB)


class Dimension(Base):
    """A classification of a dataset (``tab``, ``cat01``, ``area``, ``time``...), as CLASS_OBJ."""

    __tablename__ = "dimensions"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(SmallInteger)


class DimensionItem(Base):
    """A CLASS entry of a dimension: code, name, level, parent and unit."""

    __tablename__ = "dimension_items"

    dataset_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    dimension_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(String(8))
    parent_code: Mapped[str | None] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        ForeignKeyConstraint(
            ["dataset_id", "dimension_id"],
            ["dimensions.dataset_id", "dimensions.id"],
            ondelete="CASCADE",
        ),
    )


class Series(Base):
    """A dataset's fixed combination of non-area, non-time codes (``{"tab": "00001", "cat01":
    "A1101"}``). Ids are stable across versions, so caches and indicators keep pointing at them."""

    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    key: Mapped[dict[str, str]] = mapped_column(JSONB)
    label: Mapped[str] = mapped_column(Text)
    unit: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("dataset_id", "key", name="uq_series_dataset_id_key"),)


class Observation(Base):
    """One cell: a series' value for a region and period, or its e-Stat mark when missing.

    A missing value is NULL with its mark (``-``, ``x``, ``***``...), never 0.
    """

    __tablename__ = "observations"

    # No foreign key to series: its per-row check was half of applying a version. Deleting
    # series deletes their observations by a statement trigger (migration c3f1a8d5e247).
    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "" when the table has no area (or no time) dimension.
    region_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    time_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    # NULL when the time code is not one this service interprets (see periods.py).
    period_kind: Mapped[PeriodKind | None] = mapped_column(PERIOD_KIND)
    period_year: Mapped[int | None] = mapped_column(SmallInteger)
    period_sub: Mapped[int | None] = mapped_column(SmallInteger)
    value: Mapped[Decimal | None] = mapped_column(Numeric)
    # The value as e-Stat wrote it ("142.0"), served next to the number; NULL with a mark.
    value_text: Mapped[str | None] = mapped_column(Text)
    mark: Mapped[str | None] = mapped_column(String(16))
    # Only when a cell's unit differs from its series' unit.
    unit: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("value IS NULL OR mark IS NULL", name="value_or_mark"),
        # Cross-sections: one series, one year, many regions.
        Index("ix_observations_series_year", "series_id", "period_year", "region_code"),
    )


class StagedBatch(Base):
    """A batch of a run waiting for its ``publish_version``; redelivery replaces it."""

    __tablename__ = "staged_batches"

    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    batch_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    stats_data_id: Mapped[str] = mapped_column(String(32))
    batch_count: Mapped[int] = mapped_column(Integer)
    dimensions: Mapped[list[str]] = mapped_column(JSONB)
    cells: Mapped[list[list[Any]]] = mapped_column(JSONB)
    # The batch as zlib-compressed JSON columns (chiiki_shared.contracts.columnar); ``cells`` is
    # then empty. NULL only in rows staged before the columns existed.
    columns: Mapped[bytes | None] = mapped_column(LargeBinary)
    # A version 3 batch: its zlib-compressed COPY text (chiiki_shared.contracts.copyrows) and the
    # codes of its series; ``columns`` is then NULL.
    rows: Mapped[bytes | None] = mapped_column(LargeBinary)
    series: Mapped[list[list[str]] | None] = mapped_column(JSONB)
    cell_count: Mapped[int] = mapped_column(Integer)
    # Why the batch could not be staged (a malformed payload): publishing the run then rejects it.
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )

    __table_args__ = (Index("ix_staged_batches_received_at", "received_at"),)
