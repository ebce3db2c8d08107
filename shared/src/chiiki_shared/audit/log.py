"""An audit log in Postgres: appending to its chain, reading it back, verifying it.

Each audited service has one (tables in ``schema.py``): provisioning grants the service's role
only ``USAGE`` on the schema, ``SELECT, INSERT`` on ``events`` and ``SELECT`` on ``head``, so the
service can neither change nor remove a row, nor drop, alter or truncate the table, nor drop its
trigger: none of that is open to anyone but the owner and superusers.

Appends take a transaction-scoped advisory lock, so concurrent appends queue and the chain never
forks (the head trigger would refuse a forked row anyway); the row is written in the caller's
transaction, so it commits or rolls back with the action it records.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from asgi_correlation_id import correlation_id
from sqlalchemy import ColumnElement, insert, select, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from chiiki_shared.audit.chain import (
    GENESIS_HASH,
    Actor,
    AuditEvent,
    Origin,
    normalise_json,
)
from chiiki_shared.audit.schema import audit_schema, audit_tables
from chiiki_shared.errors import ApiError
from chiiki_shared.locks import xact_lock

MAX_PAGE = 200


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
    """The first row that does not check out: ``kind`` is ``missing``, ``link``, ``tampered``, or
    ``head`` (a row past the head, or the last row not the one the head records)."""

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
        tables = audit_tables(self.schema)
        self.table, self.head = tables.events, tables.head

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
        await xact_lock(session, "chiiki_shared.audit", self.schema)
        head = (await session.execute(select(self.head.c.seq, self.head.c.hash))).first()
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
        conditions: list[tuple[Any, Callable[[Any], ColumnElement[bool]]]] = [
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
        """Recompute the chain from the first row to the head; the first row that breaks it.

        Read in one snapshot (``REPEATABLE READ``, as the command does): a row past the head is
        then a forgery, not an append that committed in between.
        """
        head = (await connection.execute(select(self.head.c.seq, self.head.c.hash))).first()
        head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        checked, prev_hash, expected_seq = 0, GENESIS_HASH, 1
        async for event in self._all(connection):
            problem = _check(event, expected_seq, prev_hash) or _past_head(event, head_seq)
            if problem:
                return Verdict(checked, expected_seq - 1, prev_hash, problem)
            checked, prev_hash, expected_seq = checked + 1, event.hash, event.seq + 1
        problem = None
        if expected_seq <= head_seq:
            problem = Problem(expected_seq, "missing", _missing(expected_seq, head_seq + 1))
        elif prev_hash != head_hash:
            problem = Problem(head_seq, "head", f"row {head_seq} is not the row the head records")
        return Verdict(checked, expected_seq - 1, prev_hash, problem)

    async def _all(self, connection: AsyncConnection | AsyncSession) -> AsyncIterator[AuditEvent]:
        result = await connection.stream(select(self.table).order_by(self.table.c.seq))
        async for row in result:
            yield _event(row)


def _past_head(event: AuditEvent, head_seq: int) -> Problem | None:
    if event.seq > head_seq:
        return Problem(event.seq, "head", f"row {event.seq} lies past the head (row {head_seq})")
    return None


def _missing(first: int, found: int) -> str:
    if found == first + 1:
        return f"row {first} is missing"
    return f"rows {first} to {found - 1} are missing"


def _check(event: AuditEvent, expected_seq: int, prev_hash: str) -> Problem | None:
    if event.seq != expected_seq:
        return Problem(expected_seq, "missing", _missing(expected_seq, event.seq))
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
