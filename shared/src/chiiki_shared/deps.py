"""FastAPI dependencies every service uses, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the route returns, rolled back if it raises."""
    async with session_scope(get_runtime(request).sessions) as session:
        yield session


def get_redis(request: Request) -> Redis:
    return get_runtime(request).redis


def client_ip(request: Request) -> str:
    """The caller's address: the gateway's last X-Forwarded-For entry when the peer is trusted
    (``<SERVICE>_TRUSTED_PROXIES``), else the peer itself."""
    peer = request.client.host if request.client else "unknown"
    if peer in get_runtime(request).settings.trusted_proxies:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[-1].strip()
        if forwarded:
            return forwarded[:64]
    return peer


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
# scope="function": the transaction ends (commits) before the response is sent, so a client that
# acts on a 201 finds the row there.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
RedisDep = Annotated[Redis, Depends(get_redis)]
ClientIp = Annotated[str, Depends(client_ip)]
