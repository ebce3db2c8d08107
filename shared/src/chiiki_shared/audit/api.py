"""``GET /api/<service>/audit``: the log, filtered and paged by an opaque cursor (admins only)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from asgi_correlation_id import correlation_id
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from chiiki_shared.audit.chain import Actor, AuditEvent, Origin
from chiiki_shared.audit.log import MAX_PAGE, AuditLog, AuditQuery
from chiiki_shared.deps import SessionDep, client_ip
from chiiki_shared.json_value import JsonValue
from chiiki_shared.lang import ACCEPTS_LANG
from chiiki_shared.security import AdminUser, Principal


def actor_of(principal: Principal) -> Actor:
    """The actor an access token speaks for (a user; service clients get their own kind)."""
    return Actor.user(principal.user_id)


def audit_origin(request: Request) -> Origin:
    """Where a request comes from, for the rows it records."""
    return Origin(client_ip=client_ip(request), request_id=correlation_id.get())


OriginDep = Annotated[Origin, Depends(audit_origin)]


class AuditEventRead(BaseModel):
    seq: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str
    action: str
    target_type: str
    target_id: str
    before: JsonValue
    after: JsonValue
    client_ip: str | None
    request_id: str | None
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventRead:
        return cls(
            seq=event.seq,
            occurred_at=event.occurred_at,
            actor_kind=event.actor.kind,
            actor_id=event.actor.id,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            before=event.before,
            after=event.after,
            client_ip=event.origin.client_ip,
            request_id=event.origin.request_id,
            prev_hash=event.prev_hash,
            hash=event.hash,
        )


class AuditEventPage(BaseModel):
    items: list[AuditEventRead]
    next: str | None  # the next page's path and query, None on the last page


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # a time without an offset is taken as UTC
    return value


def _next_link(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    return f"{request.url.path}?{urlencode([*params, ('cursor', cursor)])}"


def audit_router(log: AuditLog, prefix: str) -> APIRouter:
    """The audit route of a service, under ``prefix`` (``/api/auth``)."""
    router = APIRouter(prefix=prefix, tags=["audit"])

    @router.get(
        "/audit",
        summary="Admin actions, newest first, with filters and cursor paging",
        dependencies=[ACCEPTS_LANG],
    )
    async def read_audit(
        _: AdminUser,
        session: SessionDep,
        request: Request,
        actor: Annotated[str | None, Query(max_length=128, description="Actor id")] = None,
        action: Annotated[str | None, Query(max_length=64)] = None,
        target_type: Annotated[str | None, Query(max_length=64)] = None,
        target_id: Annotated[str | None, Query(max_length=256)] = None,
        since: Annotated[datetime | None, Query(description="Occurred at or after")] = None,
        until: Annotated[datetime | None, Query(description="Occurred before")] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
        cursor: Annotated[str | None, Query(max_length=256, description="From `next`")] = None,
    ) -> AuditEventPage:
        query = AuditQuery(actor, action, target_type, target_id, _utc(since), _utc(until))
        page = await log.page(session, query, limit=limit, cursor=cursor)
        return AuditEventPage(
            items=[AuditEventRead.of(event) for event in page.items],
            next=_next_link(request, page.next_cursor),
        )

    return router
