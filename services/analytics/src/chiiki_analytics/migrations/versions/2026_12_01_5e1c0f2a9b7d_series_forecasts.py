"""series forecasts: stored answers of GET /api/forecasts

Revision ID: 5e1c0f2a9b7d
Revises: 97d7b550cb32
Create Date: 2026-12-01 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5e1c0f2a9b7d"
down_revision: str | None = "97d7b550cb32"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "series_forecasts",
        sa.Column("indicator", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.String(length=5), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("data_version", sa.String(length=500), nullable=False),
        sa.Column("versions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint(
            "indicator", "region_code", "horizon", name=op.f("pk_series_forecasts")
        ),
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_table("series_forecasts", schema="analytics")
