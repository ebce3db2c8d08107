"""Fixtures of the stats tests: the app against this run's database, and the recorded tables
applied once through the bus consumer, as ingest would publish them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_devstack.pytest_plugin import (
    delete_redis_keys,
    empty_tables,
    import_test_helper,
    is_last_test_in,
    serve_app,
)
from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime

# Warming on apply (``chiiki_stats.warm``) renders answers in the background of every app these
# tests start, which would make the MISS/HIT and statement counts of other tests depend on its
# timing; test_warm.py turns it on for its own app.
os.environ.setdefault("STATS_WARM_ON_APPLY", "false")
# Priming each process's memory (``chiiki_stats.prime``) likewise; test_prime.py turns it on.
os.environ.setdefault("STATS_PRIME_MEMORY", "false")

# Whether this run loaded the recorded tables, so the last test of the folder removes them.
_LOADED: list[bool] = []


def load_helper(name: str) -> ModuleType:
    """A helper module of this folder."""
    return import_test_helper(Path(__file__).with_name(f"{name}.py"))


@contextlib.asynccontextmanager
async def statements_on(session: AsyncSession) -> AsyncIterator[list[str]]:
    """The SQL statements run on ``session``'s connection while inside. Only that connection's:
    the versions map reloads on a connection of its own every few seconds, which would add to a
    count made on the engine."""
    connection = (await session.connection()).sync_connection
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)


@pytest.fixture(scope="session")
def statements_of() -> Callable[[AsyncSession], contextlib.AbstractAsyncContextManager[list[str]]]:
    """``async with statements_of(session) as statements:`` collects what ``session`` runs."""
    return statements_on


@pytest.fixture(scope="session")
def estat() -> ModuleType:
    return load_helper("estat_bus")


@pytest.fixture(scope="session")
async def stats_app(platform: Any) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    app = create_app(StatsSettings(anonymous_read=True))
    async with serve_app(app) as client:
        yield app, client


@pytest.fixture(scope="session")
def client(stats_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return stats_app[1]


@pytest.fixture(scope="session")
def runtime(stats_app: tuple[FastAPI, httpx.AsyncClient]) -> Runtime:
    return stats_app[0].state.runtime


async def apply(runtime: Runtime, batches: list[dict[str, Any]], publish: dict[str, Any]) -> Any:
    """Stage every batch and publish, each in its own transaction, as the tasks do."""
    from chiiki_stats import consumer

    for batch in batches:
        async with session_scope(runtime.sessions) as session:
            assert await consumer.stage_batch(session, batch) in ("staged", "ignored")
    async with session_scope(runtime.sessions) as session:
        return await consumer.publish_version(session, publish)


@pytest.fixture(scope="session")
def apply_table(runtime: Runtime) -> Callable[[Any], Awaitable[int]]:
    """Stage and publish one recorded table (``estat.table(...)``, filtered or whole); the
    version it became."""

    async def run(table: Any) -> int:
        outcome = await apply(runtime, *table.messages())
        assert outcome.status == "applied"
        return int(outcome.version)

    return run


@pytest.fixture(scope="session")
async def loaded(runtime: Runtime, estat: ModuleType) -> dict[str, Any]:
    """The four recorded tables, applied once for these tests (removed after the last of them,
    see pytest_runtest_teardown)."""
    _LOADED.append(True)
    outcomes = {}
    for stats_data_id in estat.ALL_TABLES:
        batches, publish = estat.table(stats_data_id).messages()
        outcome = await apply(runtime, batches, publish)
        assert outcome.status in ("applied", "unchanged"), outcome.reason
        outcomes[stats_data_id] = outcome
    return outcomes


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last test of this folder, empty the stats data again: the run's database is
    shared with the other suites (the e2e stack's starts with an empty stats schema)."""
    if not is_last_test_in(Path(__file__).parent, nextitem) or not _LOADED:
        return
    _LOADED.clear()
    from chiiki_stats.config import StatsSettings

    settings = StatsSettings()
    # Series, observations and versions go with their datasets (ON DELETE CASCADE).
    empty_tables(settings, ["datasets", "staged_batches"])
    delete_redis_keys(settings, "q:*")
    delete_redis_keys(settings, "warm:*")  # versions start at 1 again in the next run
