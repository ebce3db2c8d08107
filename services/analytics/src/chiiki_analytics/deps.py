"""Dependencies of the analytics routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.deps import get_runtime, get_session

STATS_CLIENT = "stats_client"


def get_stats_client(request: Request) -> StatsClient:
    """The stats client, calling on behalf of this request's caller (their token is forwarded)."""
    client = get_runtime(request).extras[STATS_CLIENT]
    assert isinstance(client, StatsClient)
    return client.with_authorization(request.headers.get("authorization"))


StatsDep = Annotated[StatsClient, Depends(get_stats_client)]
# Committed before the response is sent (function scope), so a client that reads right after a
# write sees it, a failed commit is an error response, and tasks queued in background tasks go
# out only after the commit.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
