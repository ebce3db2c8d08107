"""Runs record which quality checks they ran, so a report lists the passes too.

Revision ID: b6d2f8a4c1e3
Revises: f3b8d1c7a405
Create Date: 2026-12-03 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "b6d2f8a4c1e3"
down_revision: str | None = "f3b8d1c7a405"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "runs",
        sa.Column("checks_run", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        schema="ingest",
    )


def downgrade() -> None:
    op.drop_column("runs", "checks_run", schema="ingest")
