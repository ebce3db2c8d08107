"""Staged batches keep ``stats.apply_batch`` version 3's COPY rows as they came (issue #15).

A version 3 batch is staged as its zlib-compressed COPY text in ``rows`` and the distinct codes
of its series in ``series``; publishing COPYs the rows into a temporary table and applies them
in SQL. Versions 1 and 2 are staged as before (``columns``).

Revision ID: e7b2d4f9a613
Revises: c3f1a8d5e247
Create Date: 2026-12-04 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "e7b2d4f9a613"
down_revision: str | None = "c3f1a8d5e247"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "staged_batches", sa.Column("rows", sa.LargeBinary(), nullable=True), schema="stats"
    )
    op.add_column("staged_batches", sa.Column("series", JSONB(), nullable=True), schema="stats")


def downgrade() -> None:
    # The code before this revision cannot read version 3 batches: their runs are sent again.
    op.execute("DELETE FROM stats.staged_batches WHERE rows IS NOT NULL")
    op.drop_column("staged_batches", "series", schema="stats")
    op.drop_column("staged_batches", "rows", schema="stats")
