"""The soak's mixed workload: the benchmark's routes over many keep-alive connections.

Every request's latency and outcome (status code, or ``timeout``/``connection-error``) is kept
per route and per phase (what the fault injector is doing at that moment), so errors can be
read against the faults that caused them.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import numpy as np

PREFECTURES = [f"{n:02d}000" for n in range(1, 48)]


@dataclass(frozen=True)
class Route:
    name: str
    weight: int
    request: Callable[[random.Random], tuple[str, str, dict | None]]


def routes(login: dict[str, str]) -> list[Route]:
    def pref(rng: random.Random) -> str:
        return rng.choice(PREFECTURES)

    return [
        Route("kpi", 20, lambda r: ("GET", f"/api/kpi?region={pref(r)}", None)),
        Route("population series", 20, lambda r: ("GET", f"/api/population/{pref(r)}", None)),
        Route(
            "comparison",
            15,
            lambda r: (
                "GET",
                f"/api/comparison?regions={pref(r)},{pref(r)},13000"
                "&indicators=population.total,population.aged_65_plus_share",
                None,
            ),
        ),
        Route(
            "geojson",
            10,
            lambda r: (
                "GET",
                f"/api/population?level=prefecture&period={r.randint(2009, 2020)}"
                "&indicators=population.total&format=geojson",
                None,
            ),
        ),
        Route(
            "stored forecasts (map)",
            10,
            lambda r: (
                "GET",
                "/api/forecasts/prefectures?indicator=population.total"
                f"&period={r.randint(2021, 2030)}",
                None,
            ),
        ),
        Route(
            "stored forecasts (series)",
            15,
            lambda r: ("GET", f"/api/forecasts?indicator=population.total&region={pref(r)}", None),
        ),
        Route("login", 5, lambda r: ("POST", "/api/auth/login", login)),
    ]


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    outcomes: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    by_phase: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))

    def record(self, route: str, phase: str, outcome: str, seconds: float) -> None:
        self.latencies[route].append(seconds)
        self.outcomes[route][outcome] += 1
        self.by_phase[phase][outcome] += 1

    def summary(self) -> list[dict]:
        rows = []
        for route, values in sorted(self.latencies.items()):
            p50, p95, p99 = np.percentile(np.array(values) * 1000, [50, 95, 99])
            rows.append(
                {
                    "route": route,
                    "requests": len(values),
                    "p50_ms": round(float(p50), 1),
                    "p95_ms": round(float(p95), 1),
                    "p99_ms": round(float(p99), 1),
                    "outcomes": dict(sorted(self.outcomes[route].items())),
                }
            )
        return rows


class Workload:
    """``connections`` loops sending weighted random requests until ``deadline``."""

    def __init__(
        self,
        base_url: str,
        login: dict[str, str],
        token: str,
        connections: int,
        phase: Callable[[], str],
    ) -> None:
        self.base_url = base_url
        self.routes = routes(login)
        self.token = token
        self.connections = connections
        self.phase = phase
        self.results = Results()

    async def run(self, deadline: float) -> Results:
        limits = httpx.Limits(max_connections=self.connections, max_keepalive_connections=64)
        async with httpx.AsyncClient(
            base_url=self.base_url, limits=limits, timeout=httpx.Timeout(35.0)
        ) as client:
            await asyncio.gather(
                *(self._loop(client, deadline, seed) for seed in range(self.connections))
            )
        return self.results

    async def _loop(self, client: httpx.AsyncClient, deadline: float, seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311 - a workload, not a secret
        weights = [route.weight for route in self.routes]
        while time.monotonic() < deadline:
            (route,) = rng.choices(self.routes, weights)
            method, path, body = route.request(rng)
            phase = self.phase()
            started = time.monotonic()
            outcome = await self._send(client, method, path, body)
            self.results.record(route.name, phase, outcome, time.monotonic() - started)

    async def _send(
        self, client: httpx.AsyncClient, method: str, path: str, body: dict | None
    ) -> str:
        headers = {"Authorization": f"Bearer {self.token}"} if body is None else {}
        try:
            response = await client.request(method, path, json=body, headers=headers)
        except httpx.TimeoutException:
            return "timeout"
        except httpx.HTTPError:
            return "connection-error"
        if body is not None and response.status_code == 200:
            # Logins keep the workload's token fresh (access tokens last 15 minutes).
            self.token = response.json()["access_token"]
        return str(response.status_code)
