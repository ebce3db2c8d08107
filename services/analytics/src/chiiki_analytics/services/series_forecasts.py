"""``GET /api/forecasts``: stored answers for the usual parameters, a fit only for the rest.

The worker fits every prefecture's series of the precomputed indicators for the stored horizons
(``ANALYTICS_STORED_HORIZONS``, the default horizon) with exactly the code a request would run,
and keeps the bytes with the version of every dataset stats served then. A request asks stats
for the current versions (one cheap call), and answers the stored bytes only when no dataset that
can feed the indicator has changed since; anything else (``as_of``, another horizon, a
municipality, newer data) is fitted now. Both kinds of answer are cached in Redis and carry an
ETag keyed by the current versions, so a new data version never gets an old forecast, and
``X-Forecast-Source`` says which it was.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog
from fastapi import Request, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from chiiki_analytics import repository
from chiiki_analytics.data import COMPONENTS, Panel, load_panel, parse_data_version
from chiiki_analytics.models import DatasetVersion, SeriesForecast
from chiiki_analytics.services.forecasts import forecast_one, forecast_panel, render
from chiiki_analytics.stats_client import StatsClient
from chiiki_shared.cache import QueryCache, Rendered, cached_response, digest_of
from chiiki_shared.db import session_scope
from chiiki_shared.errors import ApiError

logger = structlog.get_logger(__name__)

SOURCE_HEADER = "X-Forecast-Source"
STORED, FITTED = "stored", "fitted"
MEDIA_TYPE = "application/json"
# Bump when the forecast document's shape changes, so cached bodies of the old shape go unused.
REPRESENTATION_VERSION = "3"


@dataclass(frozen=True)
class SeriesQuery:
    indicator: str
    region: str
    horizon: int
    as_of: int | None

    def params(self) -> dict[str, object]:
        return {
            "indicator": self.indicator,
            "region": self.region,
            "horizon": self.horizon,
            "as_of": self.as_of,
        }


async def respond(
    request: Request,
    session: AsyncSession,
    client: StatsClient,
    cache: QueryCache,
    query: SeriesQuery,
    *,
    cache_control: str,
) -> Response:
    current = await client.dataset_versions()
    digest = answer_digest(query, current)

    async def produce() -> Rendered:
        stored = await _stored(session, query, current) if query.as_of is None else None
        if stored is not None:
            return Rendered(stored.body.encode(), MEDIA_TYPE, {SOURCE_HEADER: STORED})
        document = await forecast_one(
            client, query.indicator, query.region, horizon=query.horizon, as_of=query.as_of
        )
        return Rendered(render(document), MEDIA_TYPE, {SOURCE_HEADER: FITTED})

    return await cached_response(
        request, cache, digest=digest, cache_control=cache_control, produce=produce
    )


def answer_digest(query: SeriesQuery, versions: Mapping[str, int]) -> str:
    """The cache key and ETag of ``query``'s answer on the data at ``versions``."""
    return digest_of(
        "forecast",
        query.params(),
        {dataset: str(version) for dataset, version in versions.items()},
        representation=REPRESENTATION_VERSION,
    )


async def _stored(
    session: AsyncSession, query: SeriesQuery, current: Mapping[str, int]
) -> SeriesForecast | None:
    row = await repository.series_forecast(session, query.indicator, query.region, query.horizon)
    if row is None:
        return None
    announced = await repository.dataset_versions(session)
    return row if _up_to_date(row, current, announced) else None


def feeds(
    indicator: str, row: SeriesForecast, announced: Mapping[str, DatasetVersion]
) -> Callable[[str], bool]:
    """A predicate: can this dataset change the answer for ``indicator``? Those the answer came
    from can, and so can any stats announced for the indicator (or its age groups), and any it
    never announced (unknown, so assumed to)."""
    codes = {indicator, *COMPONENTS.get(indicator, {})}
    used = set(parse_data_version(row.data_version))

    def can_change(dataset: str) -> bool:
        known = announced.get(dataset)
        return dataset in used or known is None or bool(codes & set(known.indicators))

    return can_change


def is_current(
    row: SeriesForecast, current: Mapping[str, int], announced: Mapping[str, DatasetVersion]
) -> bool:
    """True when every dataset that can feed the indicator is at the version the fit saw."""
    can_change = feeds(row.indicator, row, announced)
    datasets = set(row.versions) | set(current)
    return all(
        row.versions.get(dataset) == current.get(dataset)
        for dataset in datasets
        if can_change(dataset)
    )


async def precompute_series(
    session_factory: async_sessionmaker[AsyncSession],
    client: StatsClient,
    indicator: str,
    *,
    horizons: list[int],
    cache: QueryCache,
    regions: list[str] | None = None,
) -> dict[str, int]:
    """Fit and store the series of ``indicator`` in ``regions`` (every prefecture when None) for
    ``horizons`` where the stored one is missing or out of date; counts of what was ``stored``,
    ``up-to-date``, ``skipped`` (the data cannot support it) and ``changed`` (the data kept
    changing while it was fitted, FIT_ATTEMPTS times: left for the task's retry)."""
    counts = {"stored": 0, "up-to-date": 0, "skipped": 0, "changed": 0}
    for region in regions if regions is not None else await prefecture_codes(client):
        outcome = await _precompute_region(
            session_factory, client, cache, indicator, region, horizons
        )
        for key, count in outcome.items():
            counts[key] += count
    return counts


async def prefecture_codes(client: StatsClient) -> list[str]:
    return [region.code for region in await client.prefectures()]


# A fit during which a dataset version changed is not kept (it may mix versions) and is made
# again on the newer data at once: the new version's announcement brings the task back only for
# the indicators of the dataset that changed, so waiting for it could leave the series unstored
# until the next version. After storing, the versions are read again: a version published
# meanwhile (or a slower worker storing its older fit over this one, which that worker's own
# check then catches) means another round.
FIT_ATTEMPTS = 3


async def _precompute_region(
    session_factory: async_sessionmaker[AsyncSession],
    client: StatsClient,
    cache: QueryCache,
    indicator: str,
    region: str,
    horizons: list[int],
) -> dict[str, int]:
    stored: set[int] = set()
    skipped: set[int] = set()
    versions = await client.dataset_versions()
    for _ in range(FIT_ATTEMPTS):
        wanted = [h for h in horizons if h not in skipped]
        todo = await _out_of_date(session_factory, indicator, region, wanted, versions)
        if not todo:
            return _counts(horizons, stored, skipped, unsettled=set())
        panel = await load_panel(client, indicator, [region])
        bodies = await _fit(panel, indicator, region, todo)
        skipped |= set(todo) - set(bodies)
        fitted_on, versions = versions, await client.dataset_versions()
        if versions != fitted_on:
            continue
        await _store(session_factory, panel, indicator, region, bodies, versions)
        await _replace_cached(cache, indicator, region, bodies, versions)
        stored |= set(bodies)
        versions = await client.dataset_versions()
        if versions == fitted_on:
            return _counts(horizons, stored, skipped, unsettled=set())
    logger.warning("series_data_kept_changing", indicator=indicator, region=region)
    return _counts(horizons, stored, skipped, unsettled=set(todo) - skipped)


def _counts(
    horizons: list[int], stored: set[int], skipped: set[int], *, unsettled: set[int]
) -> dict[str, int]:
    kept = stored - skipped - unsettled
    return {
        "stored": len(kept),
        "up-to-date": len(horizons) - len(kept) - len(skipped) - len(unsettled),
        "skipped": len(skipped),
        "changed": len(unsettled),
    }


async def _out_of_date(
    session_factory: async_sessionmaker[AsyncSession],
    indicator: str,
    region: str,
    horizons: list[int],
    current: Mapping[str, int],
) -> list[int]:
    async with session_scope(session_factory) as session:
        announced = await repository.dataset_versions(session)
        return [
            h
            for h in horizons
            if not _up_to_date(
                await repository.series_forecast(session, indicator, region, h), current, announced
            )
        ]


async def _fit(panel: Panel, indicator: str, region: str, horizons: list[int]) -> dict[int, bytes]:
    """The rendered answers; a horizon the data cannot support is left out (a request fits it
    and says why)."""
    bodies: dict[int, bytes] = {}
    for horizon in horizons:
        try:
            bodies[horizon] = render(await forecast_panel(panel, region, horizon, None))
        except ApiError as exc:
            logger.info("series_not_stored", indicator=indicator, region=region, reason=str(exc))
    return bodies


async def _store(
    session_factory: async_sessionmaker[AsyncSession],
    panel: Panel,
    indicator: str,
    region: str,
    bodies: dict[int, bytes],
    versions: dict[str, int],
) -> None:
    async with session_scope(session_factory) as session:
        for horizon, body in bodies.items():
            await repository.store_series_forecast(
                session,
                indicator=indicator,
                region=region,
                horizon=horizon,
                data_version=panel.data_version,
                versions=versions,
                body=body.decode(),
                representation=REPRESENTATION_VERSION,
            )


async def _replace_cached(
    cache: QueryCache,
    indicator: str,
    region: str,
    bodies: dict[int, bytes],
    versions: Mapping[str, int],
) -> None:
    """Put the stored answers in the query cache under their requests' keys. A request made
    while the worker was fitting cached the same bytes it fitted itself, saying
    ``fitted``; that entry would be served, and keep saying so, until the data changed."""
    for horizon, body in bodies.items():
        digest = answer_digest(SeriesQuery(indicator, region, horizon, None), versions)
        await cache.set(digest, Rendered(body, MEDIA_TYPE, {SOURCE_HEADER: STORED}))


def _up_to_date(
    row: SeriesForecast | None, current: Mapping[str, int], announced: Mapping[str, DatasetVersion]
) -> bool:
    """Stored in today's shape, and made from the data it would be made from now."""
    return (
        row is not None
        and row.representation == REPRESENTATION_VERSION
        and is_current(row, current, announced)
    )
