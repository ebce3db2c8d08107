"""Boundaries: the TopoJSON of each region level with a map, loaded from the package.

Revision ID: 5b0c1e7a9d42
Revises: dd172762fea1
Create Date: 2026-12-01 22:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5b0c1e7a9d42"
down_revision: str | None = "dd172762fea1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "boundaries",
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("release", sa.String(length=32), nullable=False),
        sa.Column("content_hash", sa.String(length=80), nullable=False),
        sa.Column("topology", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "loaded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("level", name=op.f("pk_boundaries")),
        schema="stats",
    )


def downgrade() -> None:
    op.drop_table("boundaries", schema="stats")
