"""Rollback runs: the version whose stored pages a run publishes again.

Revision ID: d9f2b4a6c831
Revises: c5e8a1d3f620
Create Date: 2026-12-02 01:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d9f2b4a6c831"
down_revision: str | None = "c5e8a1d3f620"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "runs", sa.Column("restores_version", sa.Integer(), nullable=True), schema="ingest"
    )


def downgrade() -> None:
    op.drop_column("runs", "restores_version", schema="ingest")
