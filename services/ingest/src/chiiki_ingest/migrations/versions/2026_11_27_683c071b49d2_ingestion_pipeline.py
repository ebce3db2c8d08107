"""Ingestion pipeline: catalog entries, runs, raw pages, quality findings, dataset versions.

Revision ID: 683c071b49d2
Revises:
Create Date: 2026-11-27 10:46:22.592768
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "683c071b49d2"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_entries",
        sa.Column("stats_data_id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("attribution", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("schedule", sa.String(length=64), server_default="daily", nullable=False),
        sa.Column("area_dimension", sa.String(length=16), server_default="area", nullable=False),
        sa.Column("time_dimension", sa.String(length=16), server_default="time", nullable=False),
        sa.Column(
            "filters",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "quality",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("origin", sa.String(length=16), server_default="api", nullable=False),
        sa.Column("spec_hash", sa.String(length=80), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("origin IN ('catalog', 'api')", name=op.f("ck_catalog_entries_origin")),
        sa.CheckConstraint(
            "area_dimension <> time_dimension", name=op.f("ck_catalog_entries_distinct_dimensions")
        ),
        sa.PrimaryKeyConstraint("stats_data_id", name=op.f("pk_catalog_entries")),
        schema="ingest",
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("stats_data_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="queued", nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column(
            "filters",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("retry_of", sa.UUID(), nullable=True),
        sa.Column("attempt", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column(
            "progress",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("page_count", sa.Integer(), nullable=True),
        sa.Column("cell_count", sa.Integer(), nullable=True),
        sa.Column("batch_count", sa.Integer(), nullable=True),
        sa.Column("warning_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("blocking_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("source_url", sa.Text(), nullable=True),
        sa.Column(
            "timings",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("max_rss_bytes", sa.BigInteger(), nullable=True),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column(
            "queued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "phase IS NULL OR phase IN ('fetching', 'checking', 'publishing', 'applying', 'done')",
            name=op.f("ck_runs_phase"),
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'succeeded', 'failed', 'blocked')",
            name=op.f("ck_runs_status"),
        ),
        sa.ForeignKeyConstraint(
            ["retry_of"],
            ["ingest.runs.id"],
            name=op.f("fk_runs_retry_of_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        schema="ingest",
    )
    op.create_index(
        "ix_runs_stats_data_id_queued_at",
        "runs",
        ["stats_data_id", "queued_at"],
        unique=False,
        schema="ingest",
    )
    op.create_index(
        "ix_runs_status_queued_at", "runs", ["status", "queued_at"], unique=False, schema="ingest"
    )
    op.create_index(
        "uq_runs_one_active_per_dataset",
        "runs",
        ["stats_data_id"],
        unique=True,
        schema="ingest",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_table(
        "dataset_versions",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("stats_data_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("cell_count", sa.Integer(), nullable=False),
        sa.Column("batch_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="publishing", nullable=False),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "published_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('publishing', 'applied', 'rejected')",
            name=op.f("ck_dataset_versions_status"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ingest.runs.id"],
            name=op.f("fk_dataset_versions_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_dataset_versions")),
        schema="ingest",
    )
    op.create_index(
        "ix_dataset_versions_stats_data_id_status",
        "dataset_versions",
        ["stats_data_id", "status"],
        unique=False,
        schema="ingest",
    )
    op.create_table(
        "quality_findings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("check", sa.String(length=32), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "samples",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "severity IN ('block', 'warn')", name=op.f("ck_quality_findings_severity")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ingest.runs.id"],
            name=op.f("fk_quality_findings_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_findings")),
        sa.UniqueConstraint("run_id", "check", name=op.f("uq_quality_findings_run_id_check")),
        schema="ingest",
    )
    op.create_table(
        "run_pages",
        sa.Column("run_id", sa.UUID(), nullable=False),
        sa.Column("page_index", sa.Integer(), nullable=False),
        sa.Column("start_position", sa.Integer(), nullable=False),
        sa.Column("next_key", sa.Integer(), nullable=True),
        sa.Column("cell_count", sa.Integer(), nullable=False),
        sa.Column("total_number", sa.Integer(), nullable=False),
        sa.Column("body_bytes", sa.Integer(), nullable=False),
        sa.Column("stored_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column(
            "fetched_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ingest.runs.id"],
            name=op.f("fk_run_pages_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "page_index", name=op.f("pk_run_pages")),
        schema="ingest",
    )
    # Bodies are gzip already: store them out of line without a second, useless compression.
    op.execute("ALTER TABLE ingest.run_pages ALTER COLUMN body SET STORAGE EXTERNAL")


def downgrade() -> None:
    op.drop_table("run_pages", schema="ingest")
    op.drop_table("quality_findings", schema="ingest")
    op.drop_index(
        "ix_dataset_versions_stats_data_id_status", table_name="dataset_versions", schema="ingest"
    )
    op.drop_table("dataset_versions", schema="ingest")
    op.drop_index(
        "uq_runs_one_active_per_dataset",
        table_name="runs",
        schema="ingest",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.drop_index("ix_runs_status_queued_at", table_name="runs", schema="ingest")
    op.drop_index("ix_runs_stats_data_id_queued_at", table_name="runs", schema="ingest")
    op.drop_table("runs", schema="ingest")
    op.drop_table("catalog_entries", schema="ingest")
