"""Async SQLAlchemy for the services: one engine per process, one transaction per request or task.

The request (or task) boundary owns the transaction: ``session_scope`` commits when the work
succeeds and rolls back when it raises. Services only flush; they never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import MetaData, text
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# Stable constraint names make Alembic autogenerate diffs and migrations predictable.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_metadata(schema: str) -> MetaData:
    """The MetaData of a service's models: every table lives in the service's own schema."""
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def create_engine(
    url: URL | str, *, schema: str, pool_size: int = 5, statement_timeout_ms: int = 15_000
) -> AsyncEngine:
    """An engine whose connections see only the service's schema and give up on slow statements."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "timeout": 5,
            "command_timeout": statement_timeout_ms / 1000 + 5,
            "server_settings": {
                "search_path": schema,
                "statement_timeout": str(statement_timeout_ms),
                "application_name": f"chiiki-{schema}",
            },
        },
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session in one transaction: committed on success, rolled back on any exception."""
    async with factory() as session, session.begin():
        yield session


async def schema_exists(engine: AsyncEngine, schema: str) -> bool:
    async with engine.connect() as connection:
        found = await connection.scalar(
            text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :schema"),
            {"schema": schema},
        )
    return bool(found == 1)
