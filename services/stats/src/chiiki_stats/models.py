"""Tables of the stats service, all in the ``stats`` schema."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from chiiki_shared.db import schema_metadata


class Base(DeclarativeBase):
    metadata = schema_metadata("stats")
