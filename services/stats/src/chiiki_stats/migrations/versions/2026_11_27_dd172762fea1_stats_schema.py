"""The stats schema: regions, indicator catalog, datasets, series, observations, staging.

Revision ID: dd172762fea1
Revises:
Create Date: 2026-11-27 10:46:39.351437
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "dd172762fea1"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("statistics_name", sa.Text(), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("survey_date", sa.Text(), nullable=True),
        sa.Column("open_date", sa.Text(), nullable=True),
        sa.Column("updated_date", sa.Text(), nullable=True),
        sa.Column("attribution", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("cell_count", sa.Integer(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_datasets")),
        schema="stats",
    )
    op.create_table(
        "indicators",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_ja", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("unit_en", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("higher_is_better", sa.Boolean(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_indicators")),
        schema="stats",
    )
    op.create_index(
        op.f("ix_stats_indicators_category"),
        "indicators",
        ["category"],
        unique=False,
        schema="stats",
    )
    op.create_table(
        "reference_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reference_state")),
        schema="stats",
    )
    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent_code", sa.String(length=5), nullable=True),
        sa.Column("prefecture_code", sa.String(length=5), nullable=True),
        sa.Column("name_ja", sa.Text(), nullable=False),
        sa.Column("name_kana", sa.Text(), nullable=True),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("estat_level", sa.String(length=2), nullable=True),
        sa.Column("area_km2", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("lat", sa.Numeric(precision=10, scale=7), nullable=True),
        sa.Column("lng", sa.Numeric(precision=10, scale=7), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "level IN ('nation', 'prefecture', 'municipality', 'ward', 'other')",
            name=op.f("ck_regions_level"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
        schema="stats",
    )
    op.create_index(
        "ix_regions_level_position", "regions", ["level", "position"], unique=False, schema="stats"
    )
    op.create_index(
        "ix_regions_parent_code", "regions", ["parent_code"], unique=False, schema="stats"
    )
    op.create_table(
        "staged_batches",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("batch_index", sa.Integer(), nullable=False),
        sa.Column("stats_data_id", sa.String(length=32), nullable=False),
        sa.Column("batch_count", sa.Integer(), nullable=False),
        sa.Column("dimensions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cells", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("cell_count", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("run_id", "batch_index", name=op.f("pk_staged_batches")),
        schema="stats",
    )
    op.create_index(
        "ix_staged_batches_received_at",
        "staged_batches",
        ["received_at"],
        unique=False,
        schema="stats",
    )
    op.create_table(
        "dataset_versions",
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("cell_count", sa.Integer(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("table_info", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["stats.datasets.id"],
            name=op.f("fk_dataset_versions_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "version", name=op.f("pk_dataset_versions")),
        sa.UniqueConstraint("run_id", name=op.f("uq_dataset_versions_run_id")),
        schema="stats",
    )
    op.create_table(
        "dimensions",
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["stats.datasets.id"],
            name=op.f("fk_dimensions_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "id", name=op.f("pk_dimensions")),
        schema="stats",
    )
    op.create_table(
        "indicator_sources",
        sa.Column("indicator_code", sa.String(length=64), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("dataset_id", sa.String(length=32), nullable=True),
        sa.Column("series", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("scale", sa.Numeric(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("published_unit", sa.Text(), nullable=True),
        sa.Column("formula", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.CheckConstraint(
            "(dataset_id IS NOT NULL AND series IS NOT NULL AND formula IS NULL)"
            " OR (dataset_id IS NULL AND series IS NULL AND formula IS NOT NULL)",
            name=op.f("ck_indicator_sources_series_or_formula"),
        ),
        sa.ForeignKeyConstraint(
            ["indicator_code"],
            ["stats.indicators.code"],
            name=op.f("fk_indicator_sources_indicator_code_indicators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("indicator_code", "priority", name=op.f("pk_indicator_sources")),
        schema="stats",
    )
    op.create_index(
        "ix_indicator_sources_dataset_id",
        "indicator_sources",
        ["dataset_id"],
        unique=False,
        schema="stats",
    )
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("key", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["stats.datasets.id"],
            name=op.f("fk_series_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint("dataset_id", "key", name="uq_series_dataset_id_key"),
        schema="stats",
    )
    op.create_table(
        "dimension_items",
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("dimension_id", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=True),
        sa.Column("parent_code", sa.String(length=32), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id", "dimension_id"],
            ["stats.dimensions.dataset_id", "stats.dimensions.id"],
            name=op.f("fk_dimension_items_dataset_id_dimensions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "dataset_id", "dimension_id", "code", name=op.f("pk_dimension_items")
        ),
        schema="stats",
    )
    op.create_table(
        "observations",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=16), nullable=False),
        sa.Column("time_code", sa.String(length=16), nullable=False),
        sa.Column(
            "period_kind",
            sa.Enum(
                "calendar_year",
                "fiscal_year",
                "quarter",
                "month",
                name="period_kind",
                schema="stats",
            ),
            nullable=True,
        ),
        sa.Column("period_year", sa.SmallInteger(), nullable=True),
        sa.Column("period_sub", sa.SmallInteger(), nullable=True),
        sa.Column("value", sa.Numeric(), nullable=True),
        sa.Column("mark", sa.String(length=16), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "value IS NULL OR mark IS NULL", name=op.f("ck_observations_value_or_mark")
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["stats.series.id"],
            name=op.f("fk_observations_series_id_series"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "series_id", "region_code", "time_code", name=op.f("pk_observations")
        ),
        schema="stats",
    )
    op.create_index(
        "ix_observations_series_year",
        "observations",
        ["series_id", "period_year", "region_code"],
        unique=False,
        schema="stats",
    )


def downgrade() -> None:
    op.drop_index("ix_observations_series_year", table_name="observations", schema="stats")
    op.drop_table("observations", schema="stats")
    op.drop_table("dimension_items", schema="stats")
    op.drop_table("series", schema="stats")
    op.drop_index("ix_indicator_sources_dataset_id", table_name="indicator_sources", schema="stats")
    op.drop_table("indicator_sources", schema="stats")
    op.drop_table("dimensions", schema="stats")
    op.drop_table("dataset_versions", schema="stats")
    op.drop_index("ix_staged_batches_received_at", table_name="staged_batches", schema="stats")
    op.drop_table("staged_batches", schema="stats")
    op.drop_index("ix_regions_parent_code", table_name="regions", schema="stats")
    op.drop_index("ix_regions_level_position", table_name="regions", schema="stats")
    op.drop_table("regions", schema="stats")
    op.drop_table("reference_state", schema="stats")
    op.drop_index(op.f("ix_stats_indicators_category"), table_name="indicators", schema="stats")
    op.drop_table("indicators", schema="stats")
    op.drop_table("datasets", schema="stats")
    sa.Enum(name="period_kind", schema="stats").drop(op.get_bind())
