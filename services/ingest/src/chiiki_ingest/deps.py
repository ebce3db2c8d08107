"""Dependencies of the admin API, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_ingest import estat_guard
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.estat.client import Guard
from chiiki_ingest.messaging import CeleryBus
from chiiki_shared.bus import Outbox
from chiiki_shared.db import session_scope
from chiiki_shared.deps import get_runtime


@dataclass
class UnitOfWork:
    session: AsyncSession
    outbox: Outbox


async def get_unit_of_work(request: Request) -> AsyncIterator[UnitOfWork]:
    """One transaction, committed before the response is sent, then the outbox is flushed.

    Declared with ``scope="function"``: FastAPI's default would commit after the response left,
    so a client could read a 202 for a run it cannot see yet, and the run's task would leave
    before its row was committed.
    """
    runtime = get_runtime(request)
    outbox = Outbox()
    async with session_scope(runtime.sessions) as session:
        yield UnitOfWork(session, outbox)
    await outbox.flush_async(get_bus(request).app)


def get_bus(request: Request) -> CeleryBus:
    return get_runtime(request).extras["bus"]  # type: ignore[return-value]


def get_settings(request: Request) -> IngestSettings:
    return get_runtime(request).settings  # type: ignore[return-value]


def get_estat_guard(request: Request) -> Guard:
    """The platform-wide e-Stat request limit and metrics, for the API's own requests."""
    runtime = get_runtime(request)
    return estat_guard.guard(runtime.redis, runtime.settings)  # type: ignore[arg-type]


UnitOfWorkDep = Annotated[UnitOfWork, Depends(get_unit_of_work, scope="function")]
SettingsDep = Annotated[IngestSettings, Depends(get_settings)]
EStatGuardDep = Annotated[Guard, Depends(get_estat_guard)]
