"""Schedule ticks: one outcome per catalog table and due tick; entries' scheduled_since.

Revision ID: f3b8d1c7a405
Revises: e1a7c3b5d902
Create Date: 2026-12-02 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "f3b8d1c7a405"
down_revision: str | None = "e1a7c3b5d902"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing entries are due from the upgrade on: ticks before it were never recorded.
    op.add_column(
        "catalog_entries",
        sa.Column(
            "scheduled_since",
            sa.DateTime(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        schema="ingest",
    )
    op.create_table(
        "schedule_ticks",
        sa.Column("stats_data_id", sa.String(64), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("schedule", sa.String(64), nullable=False),
        sa.Column("run_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("trigger", sa.String(16), nullable=True),
        sa.Column("ticked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("missed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "ticked_at IS NOT NULL OR missed_at IS NOT NULL",
            name=op.f("ck_schedule_ticks_recorded"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["ingest.runs.id"],
            name=op.f("fk_schedule_ticks_run_id_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("stats_data_id", "due_at", name=op.f("pk_schedule_ticks")),
        schema="ingest",
    )
    op.create_index(op.f("ix_schedule_ticks_due_at"), "schedule_ticks", ["due_at"], schema="ingest")


def downgrade() -> None:
    op.drop_index(op.f("ix_schedule_ticks_due_at"), "schedule_ticks", schema="ingest")
    op.drop_table("schedule_ticks", schema="ingest")
    op.drop_column("catalog_entries", "scheduled_since", schema="ingest")
