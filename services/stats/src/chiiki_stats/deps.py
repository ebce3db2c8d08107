"""Dependencies of the stats routes: the read snapshot and the request context.

The parameters are typed in ``chiiki_stats.params``; unknown regions, indicators and datasets
are 404s naming them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
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

# Bump when the shape of a response changes, so cached bodies of the old shape are not served.
REPRESENTATION_VERSION = "1"


# -- the read snapshot ---------------------------------------------------------------------------


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One read-only REPEATABLE READ transaction per request: every statement of the request sees
    the same snapshot, so a version applied meanwhile is seen entirely or not at all."""
    runtime = get_runtime(request)
    async with runtime.sessions() as session, session.begin():
        await session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        yield session


ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]


@dataclass
class Context:
    """What a route needs: its snapshot, the reference data, dataset versions and the cache."""

    request: Request
    session: AsyncSession
    reference: Reference
    datasets: dict[str, DatasetState]
    cache: QueryCache
    cache_control: str

    @property
    def notes(self) -> dict[str, dict[str, str]]:
        return {dataset_id: state.notes for dataset_id, state in self.datasets.items()}

    def attribution(self, dataset_ids: Iterable[str]) -> list[str]:
        found = [
            self.datasets[d].attribution for d in sorted(set(dataset_ids)) if d in self.datasets
        ]
        return list(dict.fromkeys(found))

    async def respond(
        self,
        route: str,
        params: dict[str, Any],
        *,
        datasets: Iterable[str],
        query: StatsQuery,
        produce: Callable[[], Awaitable[Result]],
    ) -> Response:
        fmt, bom = query.output, query.with_bom
        # The version number and the content hash: a number alone could come back with other
        # content if a dataset were ever removed and published anew.
        versions = {
            d: f"{self.datasets[d].version}:{self.datasets[d].content_hash}"
            if d in self.datasets
            else "absent"
            for d in datasets
        }
        digest = digest_of(
            route,
            {**params, "format": fmt.value, **({"bom": True} if bom else {})},
            versions,
            reference=self.reference.content_hash,
            representation=REPRESENTATION_VERSION,
        )

        async def make() -> Any:
            return render(await produce(), fmt, self.reference, bom=bom)

        return await cached_response(
            self.request, self.cache, digest=digest, cache_control=self.cache_control, produce=make
        )


def reference_of(runtime: Runtime) -> Reference:
    """The reference data loaded at start-up (``main.load_reference_data``)."""
    reference = runtime.extras["reference"]
    if not isinstance(reference, Reference):
        raise TypeError("the stats app starts with its reference data loaded")
    return reference


def settings_of(runtime: Runtime) -> StatsSettings:
    settings = runtime.settings
    if not isinstance(settings, StatsSettings):
        raise TypeError("the stats app runs with StatsSettings")
    return settings


async def get_context(request: Request, session: ReadSessionDep) -> Context:
    runtime = get_runtime(request)
    return Context(
        request=request,
        session=session,
        reference=reference_of(runtime),
        datasets=await repository.dataset_states(session),
        cache=query_cache(runtime),
        cache_control=settings_of(runtime).response_cache_control,
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
