"""Observations lose their foreign key to series; a statement trigger on series cascades instead
(issue #15).

The per-row check of ``fk_observations_series_id_series`` was about half of applying a version
(docs/performance.md, "Ingestion"). Only the consumer writes observations, with the series ids
it wrote in the same transaction, so the check guarded nothing else. Deleting series (or a
dataset, whose series go by their own foreign key) still removes their observations: the
``AFTER DELETE`` trigger below deletes them once per statement, joined on the deleted rows.

Revision ID: c3f1a8d5e247
Revises: a4c7e2d9b815
Create Date: 2026-12-03 10:45:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3f1a8d5e247"
down_revision: str | None = "a4c7e2d9b815"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_observations_series_id_series"


def upgrade() -> None:
    op.drop_constraint(FOREIGN_KEY, "observations", schema="stats", type_="foreignkey")
    op.execute(
        """
        CREATE FUNCTION stats.delete_observations_of_series() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            DELETE FROM stats.observations o USING deleted_series d WHERE o.series_id = d.id;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        """
        CREATE TRIGGER series_delete_observations AFTER DELETE ON stats.series
        REFERENCING OLD TABLE AS deleted_series
        FOR EACH STATEMENT EXECUTE FUNCTION stats.delete_observations_of_series()
        """
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER series_delete_observations ON stats.series")
    op.execute("DROP FUNCTION stats.delete_observations_of_series()")
    # Rows a series no longer holds would fail the key; none are left by the trigger.
    op.execute(
        "DELETE FROM stats.observations o"
        " WHERE NOT EXISTS (SELECT 1 FROM stats.series s WHERE s.id = o.series_id)"
    )
    op.create_foreign_key(
        FOREIGN_KEY,
        "observations",
        "series",
        ["series_id"],
        ["id"],
        source_schema="stats",
        referent_schema="stats",
        ondelete="CASCADE",
    )
