"""Fixtures of the analytics tests: real series from the committed fixture, and the analytics
app served with a real stats app in-process (the recorded tables applied to it)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from chiiki_analytics.forecasting.series import History, evenly_spaced_tail
from chiiki_devstack.pytest_plugin import (
    delete_redis_keys,
    empty_tables,
    import_test_helper,
    is_last_test_in,
    serve_app,
)

FIXTURE = Path(__file__).with_name("fixtures") / "real_series.json"
AGE_CODES = {"aged_0_14": "A1301", "aged_15_64": "A1302", "aged_65_plus": "A1303"}


class RealSeries:
    """Real series of fixtures/real_series.json (see fixtures/PROVENANCE.md) as histories."""

    @cache  # noqa: B019 - one instance per test session
    def _fixture(self) -> dict:
        return json.loads(FIXTURE.read_text(encoding="utf-8"))

    def values(self, table: str, code: str, area: str) -> dict[int, float | None]:
        by_year = self._fixture()[table][code]["values"][area]
        return {int(year): value for year, value in by_year.items()}

    def areas(self, table: str, code: str) -> list[str]:
        return sorted(self._fixture()[table][code]["values"])

    def history(self, table: str, code: str, area: str, *, ages: bool = False) -> History:
        components = (
            {name: self.values(table, age, area) for name, age in AGE_CODES.items()}
            if ages
            else None
        )
        return evenly_spaced_tail(self.values(table, code, area), components)

    def prefectures(self, table: str, code: str) -> dict[str, History]:
        return {
            area: self.history(table, code, area)
            for area in self.areas(table, code)
            if area != "00000"
        }


@pytest.fixture(scope="session")
def real() -> RealSeries:
    return RealSeries()


# -- the service, with a real stats service in-process --------------------------------------------


def helper(name: str) -> ModuleType:
    """A helper module of this folder."""
    return import_test_helper(Path(__file__).with_name(f"{name}.py"))


@pytest.fixture(scope="session")
def feed() -> ModuleType:
    return helper("stats_feed")


@pytest.fixture(scope="session")
async def stats_app(platform: Any, feed: ModuleType) -> AsyncIterator[FastAPI]:
    """The stats service with SSDSE-B-2023 and the census series applied through its consumer."""
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app as create_stats_app

    app = create_stats_app(StatsSettings())
    async with app.router.lifespan_context(app):
        helper("identity").trust_test_tokens(app)
        for table in ("census-c01-1920-2015", "ssdse-b-2023"):
            status, _ = await feed.publish(app.state.runtime, *feed.messages(table))
            assert status in ("applied", "unchanged"), status
        yield app


@pytest.fixture(scope="session")
async def analytics_app(stats_app: FastAPI) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    from chiiki_analytics.config import AnalyticsSettings
    from chiiki_analytics.main import create_app

    app = create_app(AnalyticsSettings(), stats_transport=httpx.ASGITransport(app=stats_app))
    async with serve_app(app) as client:
        helper("identity").trust_test_tokens(app)
        yield app, client


@pytest.fixture(scope="session")
def api(analytics_app: tuple[FastAPI, httpx.AsyncClient]) -> httpx.AsyncClient:
    return analytics_app[1]


@pytest.fixture(scope="session")
def login() -> Callable[..., dict[str, str]]:
    """``login("alice")`` or ``login("root", "admin")``: an Authorization header for that user."""
    from chiiki_analytics.config import AnalyticsSettings

    settings = AnalyticsSettings()
    identity = helper("identity")

    def headers(user: str, role: str = "user") -> dict[str, str]:
        return identity.bearer(
            user, role, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )

    return headers


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


@pytest.fixture(scope="session")
def problem() -> Callable[[httpx.Response, int, str], dict[str, Any]]:
    return assert_problem


@pytest.fixture(scope="module", autouse=True)
async def drain_analytics_queue(platform: Any) -> AsyncIterator[None]:
    """Tasks these tests send (jobs, precomputations) have no worker here; they are removed so
    that a worker started later in the run (the e2e stack's) does not pick them up."""
    yield
    import redis.asyncio as aioredis

    client = aioredis.from_url(platform.redis_url)
    try:
        await client.delete(f"{platform.redis_key_prefix}analytics")
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def trust_tokens() -> Callable[[FastAPI], None]:
    """Make an app's token guard trust the test tokens of ``login``."""
    return helper("identity").trust_test_tokens


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last test of this folder, empty the analytics data: stored forecasts are keyed
    on stats' version numbers, which restart when another suite empties stats."""
    if not is_last_test_in(Path(__file__).parent, nextitem):
        return
    from chiiki_analytics.config import AnalyticsSettings

    settings = AnalyticsSettings()
    tables = [
        "series_forecasts",
        "stored_forecasts",
        "forecast_runs",
        "jobs",
        "policies",
        "dataset_versions",
    ]
    empty_tables(settings, tables)
    delete_redis_keys(settings, "*")
