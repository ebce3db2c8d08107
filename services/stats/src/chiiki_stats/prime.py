"""What a process remembers per dataset version, computed in its background before a reader asks.

``warm`` renders the dashboards' answers into Redis once across processes; a fresh process
(a restart, a scale-out) still had to fill its own memory on its first uncached request: the
published cells, the latest years, the municipal cross-sections and rankings (0.3-0.8 s of CPU
for a municipal livability index or KPI). With ``STATS_PRIME_MEMORY`` each process primes its own
memory at start-up and whenever the versions change, by the routes' own code: the boundary
layers' bodies (once per process), then ``PRIMED`` rendered through the routes with a cache that
neither reads nor stores (nothing is written to Redis, no answer is kept). It is bounded (a
fixed list and a time budget), a failure only logs, and ``/readyz`` says "priming" until the
first round has ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import structlog

from chiiki_shared.cache import QueryCache, Rendered
from chiiki_shared.runtime import Runtime
from chiiki_stats.deps import reference_of
from chiiki_stats.formats import Format
from chiiki_stats.rounds import Rounds
from chiiki_stats.routers.boundaries import rendered_body
from chiiki_stats.versions import DatasetVersions
from chiiki_stats.warm import (
    DEFAULT_REGION,
    MAP_INDICATOR,
    Route,
    kpi_answer,
    livability_answer,
    map_answer,
    population_answer,
    render,
)

logger = structlog.get_logger(__name__)
Step = Callable[[], Awaitable[object]]

PRIMER_EXTRA = "primer"
LEVELS = ("prefecture", "municipality")  # the levels ranked and mapped whole
A_MUNICIPALITY = "13101"  # any municipality: its KPI ranks it among all of them

# The computations behind what dashboards ask for first (``warm.ANSWERS``), as JSON: a map
# answer reads the same cross-section, and rendering one here would hold every decoded polygon
# for a layer perhaps never asked of this process. Not the municipal population cross-section:
# its 4.6 MB answer left the process 28 MB larger for 0.3 s of its first reader's CPU.
PRIMED: tuple[tuple[str, Route], ...] = (
    ("/api/population?level=prefecture", population_answer("prefecture")),
    (f"/api/kpi?region={DEFAULT_REGION}", kpi_answer(DEFAULT_REGION)),
    (f"/api/kpi?region={A_MUNICIPALITY}", kpi_answer(A_MUNICIPALITY)),
    *(
        (f"/api/indicators/{MAP_INDICATOR}/cross-section?level={level}", map_answer(level, "json"))
        for level in LEVELS
    ),
    *((f"/api/livability?level={level}", livability_answer(level=level)) for level in LEVELS),
)


class ComputeOnly(QueryCache):
    """A cache that is always a miss and keeps nothing: the answer is computed, then dropped."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime.redis, key=runtime.redis_key, ttl_seconds=1, retry_after=0)

    async def get(self, digest: str) -> Rendered | None:
        return None

    async def set(self, digest: str, rendered: Rendered) -> None:
        return None


async def boundary_bodies(runtime: Runtime) -> None:
    """Each boundary layer's body as TopoJSON (the route's default), with its gzipped bytes,
    once per process: a boundary changes with a release, never with a version. Not GeoJSON: it
    decodes and keeps every polygon."""
    reference = reference_of(runtime)
    for boundary in reference.boundaries.values():
        rendered_body(reference, boundary, Format.TOPOJSON)
        await asyncio.sleep(0)


def _steps(runtime: Runtime, versions: DatasetVersions) -> list[tuple[str, Step]]:
    def answer(route: Route) -> Step:
        return lambda: render(runtime, versions, route, ComputeOnly(runtime))

    return [
        ("boundaries", lambda: boundary_bodies(runtime)),
        *((path, answer(route)) for path, route in PRIMED),
    ]


def _rss_mb() -> float | None:
    """This process's resident memory (Linux), to see what each step holds."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


async def prime(runtime: Runtime, versions: DatasetVersions, budget_seconds: float) -> list[str]:
    """Fills this process's memory for the current versions; the steps that failed."""
    failed: list[str] = []
    started = time.monotonic()
    steps = _steps(runtime, versions)
    for name, step in steps:
        left = budget_seconds - (time.monotonic() - started)
        if left <= 0:
            failed.append(name)
            continue
        begun = time.monotonic()
        try:
            async with asyncio.timeout(left):
                await step()
        except Exception as exc:  # priming is an optimisation: the reader computes it instead
            failed.append(name)
            logger.warning("prime_failed", step=name, error=type(exc).__name__)
        logger.info(
            "prime_step", step=name, seconds=round(time.monotonic() - begun, 3), rss_mb=_rss_mb()
        )
        await asyncio.sleep(0)  # let waiting requests in between two steps
    seconds = round(time.monotonic() - started, 3)
    logger.info("primed", failed=len(failed), of=len(steps), seconds=seconds, rss_mb=_rss_mb())
    return failed


class Primer(Rounds):
    """One task per process: primes at start-up and each time the versions change."""

    name = "prime-memory"
    failed_event = "prime_failed"

    def __init__(self, runtime: Runtime, versions: DatasetVersions, budget_seconds: float):
        super().__init__()
        self._runtime = runtime
        self._versions = versions
        self._budget = budget_seconds
        self.rounds = 0
        self.last_failed: list[str] = []

    @property
    def primed(self) -> bool:
        """Whether the first round has ended (done or not: a reader computes what failed)."""
        return self.rounds > 0

    def start(self) -> None:
        self.changed({})  # the first round at once
        super().start()

    async def run_round(self) -> None:
        try:
            self.last_failed = await prime(self._runtime, self._versions, self._budget)
        finally:
            self.rounds += 1


async def check_primed(runtime: Runtime) -> None:
    """A readiness check: not ready while the first round runs."""
    primer = runtime.extras.get(PRIMER_EXTRA)
    if isinstance(primer, Primer) and not primer.primed:
        raise RuntimeError("priming its memory for the current dataset versions")
