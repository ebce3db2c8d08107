"""Answers of the public analyses (trends, anomalies) as stats answers its data: an ETag keyed
by the parameters and the current version of every dataset, ``If-None-Match`` answered with a
304 before anything is computed, the body kept in Redis, and ``Cache-Control`` from the
settings (compression is the app's GZip middleware). The forecasts do the same in
``series_forecasts``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import Request, Response
from pydantic import BaseModel

from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.cache import Rendered, cached_response, digest_of, query_cache
from chiiki_shared.runtime import Runtime

MEDIA_TYPE = "application/json"
# Bump when a trend or anomaly document's shape changes, so cached bodies of the old shape go.
REPRESENTATION_VERSION = "1"


async def respond(
    request: Request,
    runtime: Runtime,
    stats: StatsClient,
    route: str,
    params: Mapping[str, object],
    compute: Callable[[], Awaitable[BaseModel]],
) -> Response:
    settings = runtime.settings
    if not isinstance(settings, AnalyticsSettings):
        raise TypeError("the analytics app runs with AnalyticsSettings")
    versions = await stats.dataset_versions()
    digest = digest_of(
        route,
        params,
        {dataset: str(version) for dataset, version in versions.items()},
        representation=REPRESENTATION_VERSION,
    )

    async def produce() -> Rendered:
        document = await compute()
        return Rendered(document.model_dump_json(by_alias=True).encode(), MEDIA_TYPE)

    return await cached_response(
        request,
        query_cache(runtime),
        digest=digest,
        cache_control=settings.response_cache_control,
        produce=produce,
    )
