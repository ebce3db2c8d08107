"""What every dashboard asks for first, rendered into the query cache when a version is applied.

The first reader of a municipal cross-section after a new version used to pay about 1.2 s of
CPU. The web process that hears the version's NOTIFY (``versions``) renders a fixed list of
answers through the routes' own functions, so their cache keys and bodies are exactly the
routes'. It is bounded (a fixed list and a time budget), runs outside the apply's transaction
(the NOTIFY arrives after the commit), and a failure only logs. It is done once per set of
dataset versions across processes: the process that wins a Redis ``SET NX`` on a key made of the
versions renders, the others do not. An entry already in the cache is a hit, so only the answers
whose datasets changed are computed again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass

import structlog
from fastapi import Response
from redis.exceptions import RedisError
from starlette.requests import Request

from chiiki_shared.cache import QueryCache, digest_of, query_cache
from chiiki_shared.runtime import Runtime
from chiiki_stats.deps import REPRESENTATION_VERSION, Context, reference_of, settings_of
from chiiki_stats.params import (
    CrossSectionQuery,
    IndicatorCrossSectionQuery,
    KpiQuery,
    LivabilityQuery,
)
from chiiki_stats.rounds import Rounds
from chiiki_stats.routers.indicators import indicator_cross_section
from chiiki_stats.routers.kpi import kpis
from chiiki_stats.routers.livability import livability_index
from chiiki_stats.routers.population import population_cross_section
from chiiki_stats.versions import DatasetVersions, States

logger = structlog.get_logger(__name__)

WARMER_EXTRA = "warmer"
Route = Callable[[Context], Awaitable[Response]]
MAP_INDICATOR = "population.total"  # the map page's default (frontend MapView.vue)
DEFAULT_REGION = "13000"  # the dashboard's default (frontend lib/selection.ts)


def population_answer(level: str) -> Route:
    query = CrossSectionQuery.model_validate({"level": level})
    return lambda ctx: population_cross_section(ctx, query)


def map_answer(level: str, fmt: str = "geojson") -> Route:
    query = IndicatorCrossSectionQuery.model_validate({"level": level, "format": fmt})
    return lambda ctx: indicator_cross_section(ctx, MAP_INDICATOR, query)


def livability_answer(**given: str) -> Route:
    query = LivabilityQuery.model_validate(given)
    return lambda ctx: livability_index(ctx, query)


def kpi_answer(region: str) -> Route:
    query = KpiQuery.model_validate({"region": region})
    return lambda ctx: kpis(ctx, query)


# Most asked first: the time budget may end the list early.
ANSWERS: tuple[tuple[str, Route], ...] = (
    ("/api/population?level=prefecture", population_answer("prefecture")),
    ("/api/population?level=municipality", population_answer("municipality")),
    (
        f"/api/indicators/{MAP_INDICATOR}/cross-section?level=prefecture&format=geojson",
        map_answer("prefecture"),
    ),
    (
        f"/api/indicators/{MAP_INDICATOR}/cross-section?level=municipality&format=geojson",
        map_answer("municipality"),
    ),
    (f"/api/kpi?region={DEFAULT_REGION}", kpi_answer(DEFAULT_REGION)),
    ("/api/livability", livability_answer()),
    ("/api/livability?level=prefecture&format=geojson", livability_answer(format="geojson")),
    (
        "/api/livability?level=municipality&format=geojson",
        livability_answer(level="municipality", format="geojson"),
    ),
)


@dataclass
class Warmed:
    """What one warm-up did: ``rendered`` maps each answer's path to its cache key (its ETag),
    in order; ``skipped`` when another process (or an earlier round) had these versions."""

    skipped: bool
    rendered: dict[str, str]
    failed: list[str]


def versions_key(runtime: Runtime, states: States) -> str:
    """The Redis key that says these dataset versions are (being) warmed."""
    versions = {d: f"{s.version}:{s.content_hash}" for d, s in states.items()}
    digest = digest_of(
        "warm",
        {},
        versions,
        reference=reference_of(runtime).content_hash,
        representation=REPRESENTATION_VERSION,
    )
    return runtime.redis_key("warm", digest)


def _request() -> Request:
    # No If-None-Match, so the answer is made (or found), never a 304; the entry holds the
    # gzipped body as well whatever the reader accepts.
    scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
    return Request(scope)


async def render(
    runtime: Runtime, versions: DatasetVersions, route: Route, cache: QueryCache | None = None
) -> str:
    """``route``'s answer made (or found) in ``cache`` (the query cache unless given); its
    cache key."""
    settings = settings_of(runtime)
    async with AsyncExitStack() as stack:
        ctx = Context(
            request=_request(),
            reference=reference_of(runtime),
            datasets=versions.states,
            cache=cache or query_cache(runtime),
            cache_control=settings.response_cache_control,
            versions=versions,
            _runtime=runtime,
            _stack=stack,
        )
        response = await route(ctx)
    return response.headers["etag"].removeprefix('W/"').removesuffix('"')


async def _claim(runtime: Runtime, states: States) -> bool:
    ttl = settings_of(runtime).cache_ttl_seconds
    try:
        return bool(await runtime.redis.set(versions_key(runtime, states), "1", nx=True, ex=ttl))
    except (RedisError, OSError) as exc:
        logger.warning("warm_skipped", error=type(exc).__name__)
        return False


async def warm(runtime: Runtime, versions: DatasetVersions, budget_seconds: float) -> Warmed:
    """Render ``ANSWERS`` for the versions in ``versions.states``, unless claimed already."""
    states = dict(versions.states)
    if not states or not await _claim(runtime, states):
        return Warmed(True, {}, [])
    done = Warmed(False, {}, [])
    started = time.monotonic()
    for path, route in ANSWERS:
        left = budget_seconds - (time.monotonic() - started)
        if left <= 0:
            break
        try:
            async with asyncio.timeout(left):
                done.rendered[path] = await render(runtime, versions, route)
        except Exception as exc:  # warming is an optimisation: the reader computes it instead
            done.failed.append(path)
            logger.warning("warm_failed", path=path, error=type(exc).__name__)
        await asyncio.sleep(0)  # let waiting requests in between two answers
    logger.info(
        "warmed",
        rendered=len(done.rendered),
        failed=len(done.failed),
        of=len(ANSWERS),
        seconds=round(time.monotonic() - started, 3),
    )
    return done


class Warmer(Rounds):
    """One task per process: warms the current versions each time they change."""

    name = "warm-on-apply"
    failed_event = "warm_failed"

    def __init__(self, runtime: Runtime, versions: DatasetVersions, budget_seconds: float):
        super().__init__()
        self._runtime = runtime
        self._versions = versions
        self._budget = budget_seconds
        self.rounds: list[Warmed] = []

    async def run_round(self) -> None:
        self.rounds.append(await warm(self._runtime, self._versions, self._budget))
        del self.rounds[:-16]
