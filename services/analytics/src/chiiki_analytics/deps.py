"""Dependencies of the analytics routes, as ``Annotated`` aliases."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.deps import SessionDep, get_runtime

STATS_CLIENT = "stats_client"


def get_stats_client(request: Request) -> StatsClient:
    """The stats client, calling on behalf of this request's caller (their token is forwarded)."""
    client = get_runtime(request).extras[STATS_CLIENT]
    if not isinstance(client, StatsClient):
        raise TypeError(f"runtime.extras[{STATS_CLIENT!r}] is not a StatsClient")
    return client.with_authorization(request.headers.get("authorization"))


StatsDep = Annotated[StatsClient, Depends(get_stats_client)]

__all__ = ["SessionDep", "StatsDep"]
