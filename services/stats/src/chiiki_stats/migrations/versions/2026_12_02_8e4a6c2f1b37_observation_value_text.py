"""Observations keep the value's text as e-Stat published it (``value_text``, issue #12).

Existing rows are backfilled from ``value``: PostgreSQL's numeric keeps the scale it was given,
and ingest sent the decimal text of e-Stat's digits, so ``value::text`` gives back "142.0" as it
was published (only a text with leading zeros, which e-Stat does not write, would differ).

Revision ID: 8e4a6c2f1b37
Revises: 5b0c1e7a9d42
Create Date: 2026-12-02 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e4a6c2f1b37"
down_revision: str | None = "5b0c1e7a9d42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("observations", sa.Column("value_text", sa.Text(), nullable=True), schema="stats")
    op.execute("UPDATE stats.observations SET value_text = value::text WHERE value IS NOT NULL")


def downgrade() -> None:
    op.drop_column("observations", "value_text", schema="stats")
