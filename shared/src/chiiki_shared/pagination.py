"""Cursor pagination, the one list style of every service (docs/api-conventions.md).

A list takes ``limit`` and ``cursor`` and answers ``{"items": [...], "next": ...}``: ``next`` is
the relative URL of the following page (the same filters, the cursor of the last item) or null.
A cursor is opaque to clients: the sort key of the last item given, as URL-safe base64 JSON.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import urlencode

from fastapi import Query, Request
from pydantic import BaseModel, Field

from chiiki_shared.errors import UnprocessableInput

Item = TypeVar("Item")

# The ``cursor`` query parameter of every list.
CursorQuery = Annotated[
    str | None, Query(max_length=200, description="From the previous page's next")
]


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next: str | None = Field(
        description="Relative URL of the next page (same filters), null on the last page"
    )


def encode_cursor(key: list[Any]) -> str:
    raw = json.dumps(key, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def bad_cursor() -> UnprocessableInput:
    errors = [
        {"field": "query.cursor", "message": "not a cursor this list issued", "type": "cursor"}
    ]
    return UnprocessableInput("Invalid value for: query.cursor", extra={"errors": errors})


def decode_cursor(cursor: str, *, length: int) -> list[Any]:
    """The key a cursor holds; 422 on ``query.cursor`` when this service did not issue it."""
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, list) or len(key) != length:
        raise bad_cursor()
    return key


def time_id_key(created_at: datetime, item_id: uuid.UUID) -> list[Any]:
    """The sort key of lists ordered by creation time, then id, as a cursor holds it."""
    return [created_at.isoformat(), str(item_id)]


def decode_time_id(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (creation time, id) a ``time_id_key`` cursor holds; 422 on ``query.cursor`` for
    anything else (a time without its zone included: the columns are ``timestamptz``)."""
    moment, item_id = decode_cursor(cursor, length=2)
    try:
        created_at, parsed_id = datetime.fromisoformat(moment), uuid.UUID(item_id)
    except (TypeError, ValueError, AttributeError):
        raise bad_cursor() from None
    if created_at.tzinfo is None:
        raise bad_cursor()
    return created_at, parsed_id


def next_link(request: Request, key: list[Any] | None) -> str | None:
    """The URL of the page after the one ending at ``key`` (None: this was the last page)."""
    if key is None:
        return None
    params = [
        (name, value) for name, value in request.query_params.multi_items() if name != "cursor"
    ]
    params.append(("cursor", encode_cursor(key)))
    return f"{request.url.path}?{urlencode(params)}"
