"""Answers of the public analyses (trends, anomalies) as stats answers its data: an ETag keyed
by the parameters and the current version of every dataset, ``If-None-Match`` answered with a
304 before anything is computed, the body kept in Redis, and ``Cache-Control`` from the
settings (compression is the app's GZip middleware). The forecasts do the same in
``series_forecasts``; the map's stored forecasts are keyed by their run (``respond_at``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import Request, Response
from pydantic import BaseModel

from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.cache import Rendered, cached_response, digest_of, query_cache
from chiiki_shared.runtime import Runtime

MEDIA_TYPE = "application/json"
# Bump when a trend, anomaly, evaluation, map or effect document's shape changes, so cached
# bodies of the old shape go. "2": periods as stats' labels beside the year, regions' level.
REPRESENTATION_VERSION = "2"
# A policy and its effect are one user's: never kept by a shared cache, anonymous reads or not.
PRIVATE = "private, no-cache"


async def respond(
    request: Request,
    runtime: Runtime,
    stats: StatsClient,
    route: str,
    params: Mapping[str, object],
    compute: Callable[[], Awaitable[BaseModel]],
    *,
    cache_control: str | None = None,
) -> Response:
    """The answer keyed by ``params`` and the current version of every stats dataset."""
    versions = await stats.dataset_versions()
    return await respond_at(
        request,
        runtime,
        route,
        params,
        {dataset: str(version) for dataset, version in versions.items()},
        compute,
        cache_control=cache_control,
    )


async def respond_at(
    request: Request,
    runtime: Runtime,
    route: str,
    params: Mapping[str, object],
    versions: Mapping[str, str],
    compute: Callable[[], Awaitable[BaseModel]],
    *,
    cache_control: str | None = None,
) -> Response:
    """The answer keyed by ``params`` and ``versions``, whatever names the data it is made of."""
    settings = runtime.settings
    if not isinstance(settings, AnalyticsSettings):
        raise TypeError("the analytics app runs with AnalyticsSettings")
    digest = digest_of(route, params, versions, representation=REPRESENTATION_VERSION)

    async def produce() -> Rendered:
        document = await compute()
        return Rendered(document.model_dump_json(by_alias=True).encode(), MEDIA_TYPE)

    return await cached_response(
        request,
        query_cache(runtime),
        digest=digest,
        cache_control=cache_control or settings.response_cache_control,
        produce=produce,
    )
