"""FastAPI dependencies every service uses, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.client_address import client_address
from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    async with session_scope(get_runtime(request).sessions) as session:
        yield session


def get_redis(request: Request) -> Redis:
    return get_runtime(request).redis


def client_ip(request: Request) -> str:
    """The caller's address: the peer, or what a trusted proxy (``TRUSTED_PROXIES``) says.

    Under uvicorn with ``--forwarded-allow-ips`` the peer is already the caller; this also holds
    where no such server sits in front (tests, other ASGI servers)."""
    peer = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for", "")
    return client_address(peer, forwarded, get_runtime(request).settings.trusted_proxies)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
# scope="function": the transaction ends (commits) before the response is sent, so a client that
# acts on a 201 finds the row there.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
RedisDep = Annotated[Redis, Depends(get_redis)]
ClientIp = Annotated[str, Depends(client_ip)]
