"""Cancelling runs: the `cancelled` status and when a cancel was asked for.

Revision ID: c5e8a1d3f620
Revises: a41c9e2f7b10
Create Date: 2026-12-02 01:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5e8a1d3f620"
down_revision: str | None = "a41c9e2f7b10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BEFORE = "status IN ('queued', 'running', 'succeeded', 'failed', 'blocked')"
_AFTER = "status IN ('queued', 'running', 'succeeded', 'failed', 'blocked', 'cancelled')"


def upgrade() -> None:
    op.add_column(
        "runs",
        sa.Column("cancel_requested_at", sa.DateTime(timezone=True), nullable=True),
        schema="ingest",
    )
    op.drop_constraint(op.f("ck_runs_status"), "runs", schema="ingest", type_="check")
    op.create_check_constraint(op.f("ck_runs_status"), "runs", _AFTER, schema="ingest")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_runs_status"), "runs", schema="ingest", type_="check")
    op.create_check_constraint(op.f("ck_runs_status"), "runs", _BEFORE, schema="ingest")
    op.drop_column("runs", "cancel_requested_at", schema="ingest")
