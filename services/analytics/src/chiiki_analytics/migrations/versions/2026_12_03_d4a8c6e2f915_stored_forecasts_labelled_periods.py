"""stored map forecasts: runs stored before periods carried stats' labels are removed

The documents of those runs name periods by integer only and regions without ``level``; the
map's first read after this asks the worker for a new run (503 ``forecasts-pending`` meanwhile).

Revision ID: d4a8c6e2f915
Revises: b3d9e1f4a7c2
Create Date: 2026-12-03 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d4a8c6e2f915"
down_revision: str | None = "b3d9e1f4a7c2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # stored_forecasts and stored_forecast_points go with their run (ON DELETE CASCADE).
    op.execute("DELETE FROM analytics.forecast_runs")


def downgrade() -> None:
    # Runs stored in the new shape are removed too: the older code cannot read them.
    op.execute("DELETE FROM analytics.forecast_runs")
