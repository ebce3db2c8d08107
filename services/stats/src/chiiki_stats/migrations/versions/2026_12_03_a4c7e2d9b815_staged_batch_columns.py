"""Staged batches keep ``stats.apply_batch`` version 2's columns as they came (issue #15).

A version 2 batch is staged as its zlib-compressed JSON columns in ``columns`` (``cells`` is
then empty); a version 1 batch is turned into the same columns when it is staged. Rows staged
before this revision keep their ``cells`` and are read from there.

Revision ID: a4c7e2d9b815
Revises: 8e4a6c2f1b37
Create Date: 2026-12-03 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a4c7e2d9b815"
down_revision: str | None = "8e4a6c2f1b37"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "staged_batches", sa.Column("columns", sa.LargeBinary(), nullable=True), schema="stats"
    )


def downgrade() -> None:
    op.drop_column("staged_batches", "columns", schema="stats")
