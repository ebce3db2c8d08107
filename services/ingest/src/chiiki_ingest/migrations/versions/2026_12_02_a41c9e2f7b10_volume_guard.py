"""Volume guard: a catalog entry's max_shrink and a run's allow_shrink.

Revision ID: a41c9e2f7b10
Revises: 683c071b49d2
Create Date: 2026-12-02 00:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a41c9e2f7b10"
down_revision: str | None = "683c071b49d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "catalog_entries",
        sa.Column("max_shrink", sa.Float(), server_default=sa.text("0.1"), nullable=False),
        schema="ingest",
    )
    op.add_column(
        "runs",
        sa.Column("allow_shrink", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="ingest",
    )


def downgrade() -> None:
    op.drop_column("runs", "allow_shrink", schema="ingest")
    op.drop_column("catalog_entries", "max_shrink", schema="ingest")
