"""series forecasts: the answer's representation version, so a shape change retires old rows

Revision ID: b3d9e1f4a7c2
Revises: 5e1c0f2a9b7d
Create Date: 2026-12-02 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3d9e1f4a7c2"
down_revision: str | None = "5e1c0f2a9b7d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Rows stored before this column were made in representation "1".
    op.add_column(
        "series_forecasts",
        sa.Column("representation", sa.String(length=20), server_default="1", nullable=False),
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_column("series_forecasts", "representation", schema="analytics")
