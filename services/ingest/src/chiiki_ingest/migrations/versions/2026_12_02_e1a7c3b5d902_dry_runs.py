"""Dry runs: fetch and check without publishing.

Revision ID: e1a7c3b5d902
Revises: d9f2b4a6c831
Create Date: 2026-12-02 01:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1a7c3b5d902"
down_revision: str | None = "d9f2b4a6c831"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "runs",
        sa.Column("dry_run", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="ingest",
    )


def downgrade() -> None:
    op.drop_column("runs", "dry_run", schema="ingest")
