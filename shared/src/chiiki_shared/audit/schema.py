"""The tables of an audit log and the DDL that provisioning runs for them (never a migration).

Schema ``<service>_audit``, owned by the ``NOLOGIN`` role ``chiiki_<service>_audit``, holds
``events`` (the rows) and ``head`` (one row: the last ``seq`` and ``hash``). A ``BEFORE INSERT``
trigger, running with the owner's rights, refuses a row that does not follow the head and then
advances it; the service's role may only read both tables and insert into ``events``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
)
from sqlalchemy.dialects.postgresql import JSONB

from chiiki_shared.audit.chain import GENESIS_HASH
from chiiki_shared.db import NAMING_CONVENTION

EVENTS = "events"
HEAD = "head"


def audit_schema(service: str) -> str:
    return f"{service}_audit"


def audit_owner_role(service: str) -> str:
    return f"chiiki_{service}_audit"


@dataclass(frozen=True)
class AuditTables:
    events: Table
    head: Table


def audit_tables(schema: str) -> AuditTables:
    """The tables of one audit log, in a MetaData of their own: no service migration sees them."""
    metadata = MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    events = Table(
        EVENTS,
        metadata,
        # Numbered under the lock, not by a sequence: rolled-back appends leave no gaps, so a gap
        # always means a removed row.
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
        Column("occurred_at", DateTime(timezone=True), nullable=False),
        Column("actor_kind", String(32), nullable=False),
        Column("actor_id", String(128), nullable=False),
        Column("action", String(64), nullable=False),
        Column("target_type", String(64), nullable=False),
        Column("target_id", String(256), nullable=False),
        Column("before", JSONB),
        Column("after", JSONB),
        Column("client_ip", String(64)),
        Column("request_id", String(128)),
        Column("prev_hash", String(64), nullable=False),
        Column("hash", String(64), nullable=False),
        Index(None, "actor_id", "seq"),
        Index(None, "action", "seq"),
        Index(None, "target_type", "target_id", "seq"),
        Index(None, "occurred_at"),
    )
    head = Table(
        HEAD,
        metadata,
        Column("singleton", Boolean, primary_key=True, server_default="true"),
        Column("seq", BigInteger, nullable=False),
        Column("hash", String(64), nullable=False),
        CheckConstraint("singleton", name="singleton"),
    )
    return AuditTables(events, head)


_TRIGGER_FUNCTION = """
CREATE OR REPLACE FUNCTION {schema}.advance_head() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    SELECT seq, hash INTO last_seq, last_hash FROM {schema}.head FOR UPDATE;
    IF NOT FOUND THEN
        last_seq := 0;
        last_hash := '{genesis}';
    END IF;
    IF NEW.seq <> last_seq + 1 OR NEW.prev_hash <> last_hash THEN
        RAISE EXCEPTION 'audit row % does not follow the chain head (row %)', NEW.seq, last_seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    INSERT INTO {schema}.head (singleton, seq, hash) VALUES (true, NEW.seq, NEW.hash)
        ON CONFLICT (singleton) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash;
    RETURN NEW;
END
$$
"""


def ddl(service: str) -> Sequence[str]:
    """Idempotent statements creating a service's audit tables, indexes and head trigger."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    schema = audit_schema(service)
    tables = audit_tables(schema)
    # SQLAlchemy leaves its dialect constructors unannotated.
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    statements = [
        str(CreateTable(table, if_not_exists=True).compile(dialect=dialect))
        for table in (tables.events, tables.head)
    ]
    statements += [
        str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect))
        for index in sorted(tables.events.indexes, key=lambda index: str(index.name))
    ]
    return [
        *statements,
        _TRIGGER_FUNCTION.format(schema=schema, genesis=GENESIS_HASH),
        f"REVOKE ALL ON FUNCTION {schema}.advance_head() FROM PUBLIC",
        f"CREATE OR REPLACE TRIGGER advance_head BEFORE INSERT ON {schema}.{EVENTS} "
        f"FOR EACH ROW EXECUTE FUNCTION {schema}.advance_head()",
    ]
