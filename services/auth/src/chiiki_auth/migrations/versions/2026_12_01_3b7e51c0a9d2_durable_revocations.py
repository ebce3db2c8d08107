"""durable revocations: users.tokens_not_before, sessions indexed by revoked_at

The Redis denylist is rebuilt from these after Redis loses it (a restart without persistence).

Revision ID: 3b7e51c0a9d2
Revises: 9d914c6690f2
Create Date: 2026-12-01 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b7e51c0a9d2"
down_revision: str | None = "9d914c6690f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("tokens_not_before", sa.DateTime(timezone=True), nullable=True),
        schema="auth",
    )
    op.create_index(
        op.f("ix_auth_sessions_revoked_at"), "sessions", ["revoked_at"], unique=False, schema="auth"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_sessions_revoked_at"), table_name="sessions", schema="auth")
    op.drop_column("users", "tokens_not_before", schema="auth")
