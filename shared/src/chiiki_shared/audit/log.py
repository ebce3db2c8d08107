"""An audit log in Postgres: the table, appending to its chain, reading it back, verifying it.

Each audited service has one: table ``events`` in schema ``<service>_audit``, owned by the
``NOLOGIN`` role ``chiiki_<service>_audit``. Provisioning (the administrative connection) creates
both and grants the service's role only ``USAGE`` on the schema and ``SELECT, INSERT`` on the
table, so the service can neither change nor remove a row, nor drop, alter or truncate the table,
nor drop a trigger on it: none of that is open to anyone but the owner and superusers.

Appends take a transaction-scoped advisory lock, so concurrent appends queue and the chain never
forks; the row is written in the caller's transaction, so it commits or rolls back with the
action it records.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from asgi_correlation_id import correlation_id
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from chiiki_shared.audit.chain import (
    GENESIS_HASH,
    Actor,
    AuditEvent,
    Origin,
    normalise_json,
)
from chiiki_shared.db import NAMING_CONVENTION
from chiiki_shared.errors import ApiError

TABLE_NAME = "events"
MAX_PAGE = 200


def audit_schema(service: str) -> str:
    return f"{service}_audit"


def audit_owner_role(service: str) -> str:
    return f"chiiki_{service}_audit"


def events_table(schema: str) -> Table:
    """The table of one audit log (its own MetaData: no service migration ever sees it)."""
    metadata = MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    return Table(
        TABLE_NAME,
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


class InvalidCursor(ApiError):
    code, title = "invalid-cursor", "Invalid cursor"


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """Filters of a page of the log; ``None`` matches everything."""

    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    since: datetime | None = None  # occurred at or after
    until: datetime | None = None  # occurred before


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: list[AuditEvent]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    """The first row that does not check out: ``kind`` is ``missing``, ``link`` or ``tampered``."""

    seq: int
    kind: str
    detail: str


@dataclass(frozen=True, slots=True)
class Verdict:
    checked: int
    head_seq: int
    head_hash: str
    problem: Problem | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"before_seq": seq}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        seq = json.loads(raw)["before_seq"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise InvalidCursor("The cursor is not one this API gave out") from None
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise InvalidCursor("The cursor is not one this API gave out")
    return seq


class AuditLog:
    """One service's audit log; ``record`` appends, ``page`` reads, ``verify`` checks."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.schema = audit_schema(service)
        self.table = events_table(self.schema)
        digest = hashlib.sha256(f"chiiki-audit:{self.schema}".encode()).digest()
        self.lock_key = int.from_bytes(digest[:8], "big", signed=True)

    async def record(
        self,
        session: AsyncSession,
        *,
        actor: Actor,
        action: str,
        target_type: str,
        target_id: str,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        origin: Origin | None = None,
    ) -> AuditEvent:
        """Append one row in ``session``'s transaction (the lock is held until it ends)."""
        origin = origin or Origin()
        if origin.request_id is None:
            origin = Origin(origin.client_ip, correlation_id.get())
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": self.lock_key})
        head = (
            await session.execute(
                select(self.table.c.seq, self.table.c.hash)
                .order_by(self.table.c.seq.desc())
                .limit(1)
            )
        ).first()
        # Taken after the lock, so times follow the order of the chain.
        occurred_at = await session.scalar(text("SELECT clock_timestamp()"))
        draft = AuditEvent(
            seq=head.seq + 1 if head else 1,
            occurred_at=occurred_at,
            actor=actor,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            before=normalise_json(before),
            after=normalise_json(after),
            origin=origin,
            prev_hash=head.hash if head else GENESIS_HASH,
            hash="",
        )
        event = replace(draft, hash=draft.expected_hash())
        await session.execute(insert(self.table).values(**_row_values(event)))
        return event

    async def page(
        self, session: AsyncSession, query: AuditQuery, *, limit: int, cursor: str | None = None
    ) -> AuditPage:
        """Newest first; ``next_cursor`` continues after the last item, ``None`` at the end."""
        columns = self.table.c
        statement = select(self.table).order_by(columns.seq.desc()).limit(limit + 1)
        conditions = [
            (query.actor, lambda v: columns.actor_id == v),
            (query.action, lambda v: columns.action == v),
            (query.target_type, lambda v: columns.target_type == v),
            (query.target_id, lambda v: columns.target_id == v),
            (query.since, lambda v: columns.occurred_at >= v),
            (query.until, lambda v: columns.occurred_at < v),
            (decode_cursor(cursor) if cursor else None, lambda v: columns.seq < v),
        ]
        for value, condition in conditions:
            if value is not None:
                statement = statement.where(condition(value))
        rows = (await session.execute(statement)).all()
        items = [_event(row) for row in rows[:limit]]
        more = len(rows) > limit
        return AuditPage(items, encode_cursor(items[-1].seq) if more else None)

    async def verify(self, connection: AsyncConnection | AsyncSession) -> Verdict:
        """Recompute the chain from the first row; the first row that breaks it, if any."""
        checked, prev_hash, expected_seq = 0, GENESIS_HASH, 1
        async for event in self._all(connection):
            problem = _check(event, expected_seq, prev_hash)
            if problem:
                return Verdict(checked, expected_seq - 1, prev_hash, problem)
            checked, prev_hash, expected_seq = checked + 1, event.hash, event.seq + 1
        return Verdict(checked, expected_seq - 1, prev_hash, None)

    async def _all(self, connection: AsyncConnection | AsyncSession) -> AsyncIterator[AuditEvent]:
        result = await connection.stream(select(self.table).order_by(self.table.c.seq))
        async for row in result:
            yield _event(row)


def _check(event: AuditEvent, expected_seq: int, prev_hash: str) -> Problem | None:
    if event.seq != expected_seq:
        missing = (
            f"row {expected_seq} is missing"
            if event.seq == expected_seq + 1
            else f"rows {expected_seq} to {event.seq - 1} are missing"
        )
        return Problem(expected_seq, "missing", missing)
    if event.prev_hash != prev_hash:
        return Problem(event.seq, "link", f"row {event.seq} does not link to row {event.seq - 1}")
    if event.expected_hash() != event.hash:
        return Problem(event.seq, "tampered", f"row {event.seq} was changed after it was written")
    return None


def _row_values(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "actor_kind": event.actor.kind,
        "actor_id": event.actor.id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "before": event.before,
        "after": event.after,
        "client_ip": event.origin.client_ip,
        "request_id": event.origin.request_id,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _event(row: Row[Any]) -> AuditEvent:
    values = row._mapping
    return AuditEvent(
        seq=values["seq"],
        occurred_at=values["occurred_at"],
        actor=Actor(values["actor_kind"], values["actor_id"]),
        action=values["action"],
        target_type=values["target_type"],
        target_id=values["target_id"],
        before=values["before"],
        after=values["after"],
        origin=Origin(values["client_ip"], values["request_id"]),
        prev_hash=values["prev_hash"],
        hash=values["hash"],
    )


def ddl(service: str) -> Sequence[str]:
    """``CREATE ... IF NOT EXISTS`` statements of the service's audit table and its indexes."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex, CreateTable

    table = events_table(audit_schema(service))
    dialect = postgresql.dialect()
    statements = [str(CreateTable(table, if_not_exists=True).compile(dialect=dialect))]
    statements += [
        str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect))
        for index in sorted(table.indexes, key=lambda index: str(index.name))
    ]
    return statements
