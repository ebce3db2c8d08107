"""Dependencies of the stats routes: the request context and its read snapshot.

The parameters are typed in ``chiiki_stats.params``; unknown regions, indicators and datasets
are 404s naming them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.cache import QueryCache, cached_response, digest_of, query_cache
from chiiki_shared.deps import get_runtime
from chiiki_shared.errors import NotFound
from chiiki_shared.runtime import Runtime
from chiiki_stats import repository
from chiiki_stats.catalog import Reference, RegionInfo
from chiiki_stats.config import StatsSettings
from chiiki_stats.formats import Result, render
from chiiki_stats.params import StatsQuery
from chiiki_stats.repository import DatasetState
from chiiki_stats.versions import VERSIONS_EXTRA, DatasetVersions

# Bump when the shape of a response changes, so cached bodies of the old shape are not served.
REPRESENTATION_VERSION = "4"
# GeoJSON and municipal cross-sections are large and compress about tenfold (main.py's
# GZipMiddleware compresses what is this large; cached answers are gzipped once, when stored).
GZIP_MINIMUM_SIZE = 2048


# -- the read snapshot ---------------------------------------------------------------------------


class StaleVersions(Exception):
    """The snapshot of a request holds other dataset versions than the process's map."""


@asynccontextmanager
async def read_snapshot(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    """One read-only REPEATABLE READ transaction: every statement sees the same snapshot, so a
    version applied meanwhile is seen entirely or not at all."""
    async with runtime.sessions() as session, session.begin():
        await session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        yield session


@dataclass
class Context:
    """What a route needs: the reference data, dataset versions, the cache and, opened only when
    something is computed, a read snapshot.

    ``datasets`` starts as the process's in-memory map (``versions``), so a cache hit or a 304
    touches no database. The first use of the snapshot compares it with the map: when they
    differ (a version committed but not yet announced here), the snapshot's versions are taken
    and the response is keyed on them, never a body of one version under another's key.
    """

    request: Request
    reference: Reference
    datasets: dict[str, DatasetState]
    cache: QueryCache
    cache_control: str
    versions: DatasetVersions
    _runtime: Runtime
    _stack: AsyncExitStack
    _session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        """The snapshot; only inside ``produce`` or after ``await snapshot()``."""
        if self._session is None:
            raise RuntimeError("the read snapshot is opened by Context.snapshot()")
        return self._session

    async def snapshot(self) -> AsyncSession:
        """The snapshot, opened on first use; ``datasets`` become the snapshot's versions."""
        if self._session is None:
            self._session = await self._stack.enter_async_context(read_snapshot(self._runtime))
            seen = await repository.current_versions(self._session)
            held = {d: (state.version, state.content_hash) for d, state in self.datasets.items()}
            if seen != held:
                self.datasets = await repository.dataset_states(self._session)
                self.versions.refresh_soon()
        return self._session

    @property
    def notes(self) -> dict[str, dict[str, str]]:
        return {dataset_id: state.notes for dataset_id, state in self.datasets.items()}

    def attribution(self, dataset_ids: Iterable[str]) -> list[str]:
        found = [
            self.datasets[d].attribution for d in sorted(set(dataset_ids)) if d in self.datasets
        ]
        return list(dict.fromkeys(found))

    def _digest(
        self, route: str, params: dict[str, Any], datasets: list[str], query: StatsQuery
    ) -> str:
        # The version number and the content hash: a number alone could come back with other
        # content if a dataset were ever removed and published anew.
        versions = {
            d: f"{self.datasets[d].version}:{self.datasets[d].content_hash}"
            if d in self.datasets
            else "absent"
            for d in datasets
        }
        return digest_of(
            route,
            {**params, "format": query.output.value, **({"bom": True} if query.with_bom else {})},
            versions,
            reference=self.reference.content_hash,
            representation=REPRESENTATION_VERSION,
        )

    async def respond(
        self,
        route: str,
        params: dict[str, Any],
        *,
        datasets: Iterable[str],
        query: StatsQuery,
        produce: Callable[[], Awaitable[Result]],
    ) -> Response:
        used = list(datasets)

        async def make(digest: str) -> Any:
            await self.snapshot()
            if self._digest(route, params, used, query) != digest:
                raise StaleVersions
            return render(await produce(), query.output, self.reference, bom=query.with_bom)

        try:
            return await self._cached(self._digest(route, params, used, query), make)
        except StaleVersions:
            # Keyed again on the snapshot's versions, now ``datasets``; the snapshot stays open.
            return await self._cached(self._digest(route, params, used, query), make)

    async def _cached(self, digest: str, make: Callable[[str], Awaitable[Any]]) -> Response:
        return await cached_response(
            self.request,
            self.cache,
            digest=digest,
            cache_control=self.cache_control,
            produce=partial(make, digest),
            gzip_minimum_size=GZIP_MINIMUM_SIZE,
        )


def reference_of(runtime: Runtime) -> Reference:
    """The reference data loaded at start-up (``main.load_reference_data``)."""
    reference = runtime.extras["reference"]
    if not isinstance(reference, Reference):
        raise TypeError("the stats app starts with its reference data loaded")
    return reference


def versions_of(runtime: Runtime) -> DatasetVersions:
    """The dataset-version map kept since start-up (``main.keep_dataset_versions``)."""
    versions = runtime.extras[VERSIONS_EXTRA]
    if not isinstance(versions, DatasetVersions):
        raise TypeError("the stats app starts with its dataset versions loaded")
    return versions


def settings_of(runtime: Runtime) -> StatsSettings:
    settings = runtime.settings
    if not isinstance(settings, StatsSettings):
        raise TypeError("the stats app runs with StatsSettings")
    return settings


async def get_context(request: Request) -> AsyncIterator[Context]:
    runtime = get_runtime(request)
    versions = versions_of(runtime)
    async with AsyncExitStack() as stack:
        yield Context(
            request=request,
            reference=reference_of(runtime),
            datasets=versions.states,
            cache=query_cache(runtime),
            cache_control=settings_of(runtime).response_cache_control,
            versions=versions,
            _runtime=runtime,
            _stack=stack,
        )


ContextDep = Annotated[Context, Depends(get_context)]


# -- what must exist ----------------------------------------------------------------------------


def require_regions(reference: Reference, codes: Iterable[str]) -> list[RegionInfo]:
    codes = list(codes)
    unknown = [code for code in codes if code not in reference.regions]
    if unknown:
        raise NotFound(
            f"No region with code {', '.join(unknown)}",
            extra={"resource": "region", "missing": unknown},
        )
    return [reference.regions[code] for code in codes]


def require_indicators(reference: Reference, codes: Iterable[str]) -> list[str]:
    codes = list(codes)
    unknown = [code for code in codes if code not in reference.catalog]
    if unknown:
        raise NotFound(
            f"No indicator with code {', '.join(unknown)}",
            extra={"resource": "indicator", "missing": unknown},
        )
    return codes
