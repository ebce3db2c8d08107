"""sessions: user agent and address of their last use

Revision ID: 5b8e1f0c2a47
Revises: 3b7e51c0a9d2
Create Date: 2026-12-01 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b8e1f0c2a47"
down_revision: str | None = "3b7e51c0a9d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sessions", sa.Column("user_agent", sa.String(length=256), nullable=True), schema="auth"
    )
    op.add_column(
        "sessions", sa.Column("client_ip", sa.String(length=64), nullable=True), schema="auth"
    )


def downgrade() -> None:
    op.drop_column("sessions", "client_ip", schema="auth")
    op.drop_column("sessions", "user_agent", schema="auth")
