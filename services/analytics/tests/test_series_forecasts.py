"""``GET /api/forecasts``: stored answers, byte for byte what a fit gives, served only for the
data version they were fitted on; ETags and 304s; a fit on demand for unusual parameters."""

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy import delete, update

from chiiki_analytics import repository
from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.models import DatasetVersion, SeriesForecast
from chiiki_analytics.services.series_forecasts import (
    REPRESENTATION_VERSION,
    is_current,
    precompute_series,
)
from chiiki_analytics.stats_client import StatsClient
from chiiki_analytics.tasks import dataset_updated
from chiiki_devstack.pytest_plugin import delete_redis_keys
from chiiki_shared.cache import query_cache

FORECASTS = "/api/forecasts"
TOKYO = "13000"


@pytest.fixture
def worker_client(analytics_app, login) -> StatsClient:
    client = analytics_app[0].state.runtime.extras["stats_client"]
    return client.with_authorization(login("analytics-worker", "admin")["Authorization"])


@pytest.fixture
def store(analytics_app, worker_client):
    runtime = analytics_app[0].state.runtime

    async def run(indicator: str, regions: list[str], horizons: tuple[int, ...] = (5,)) -> dict:
        return await precompute_series(
            runtime.sessions,
            worker_client,
            indicator,
            horizons=list(horizons),
            regions=regions,
            cache=query_cache(runtime),
        )

    return run


def forget_cached_answers() -> None:
    delete_redis_keys(AnalyticsSettings(), "q:*")


async def get(api, login, indicator: str, region: str = TOKYO, headers=None, **params):
    response = await api.get(
        FORECASTS,
        params={"indicator": indicator, "region": region, **params},
        headers={**login("a"), **(headers or {})},
    )
    assert response.status_code == 200, response.text
    return response


async def test_the_stored_answer_is_byte_for_byte_the_fitted_one(api, login, store) -> None:
    forget_cached_answers()
    fitted = await get(api, login, "vital.deaths")
    assert (fitted.headers["x-forecast-source"], fitted.headers["x-cache"]) == ("fitted", "MISS")
    assert await store("vital.deaths", [TOKYO]) == {
        "stored": 1,
        "up-to-date": 0,
        "skipped": 0,
        "changed": 0,
    }
    assert await store("vital.deaths", [TOKYO]) == {
        "stored": 0,
        "up-to-date": 1,
        "skipped": 0,
        "changed": 0,
    }
    # The fitted answer cached by the first request gave way to the stored one.
    replaced = await get(api, login, "vital.deaths")
    assert (replaced.headers["x-forecast-source"], replaced.headers["x-cache"]) == ("stored", "HIT")
    assert replaced.content == fitted.content
    assert replaced.headers["etag"] == fitted.headers["etag"]
    forget_cached_answers()
    stored = await get(api, login, "vital.deaths")
    assert (stored.headers["x-forecast-source"], stored.headers["x-cache"]) == ("stored", "MISS")
    assert stored.content == fitted.content
    assert stored.headers["etag"] == fitted.headers["etag"]
    assert stored.json()["region"]["code"] == TOKYO
    assert len(stored.json()["forecasts"]) == 5
    again = await get(api, login, "vital.deaths")
    assert (again.headers["x-forecast-source"], again.headers["x-cache"]) == ("stored", "HIT")
    assert again.content == fitted.content


@pytest.mark.parametrize(
    "params", [{"as_of": 2016}, {"horizon": 7}, {"horizon": 5, "region": "27000"}]
)
async def test_unusual_parameters_are_fitted_on_demand(api, login, store, params) -> None:
    await store("vital.deaths", [TOKYO])
    forget_cached_answers()
    response = await get(api, login, "vital.deaths", **params)
    assert response.headers["x-forecast-source"] == "fitted"


async def test_an_etag_is_answered_with_304(api, login, store) -> None:
    await store("vital.deaths", [TOKYO])
    first = await get(api, login, "vital.deaths")
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert first.headers["cache-control"] == "private, no-cache"
    revalidated = await api.get(
        FORECASTS,
        params={"indicator": "vital.deaths", "region": TOKYO},
        headers={**login("a"), "If-None-Match": etag},
    )
    assert revalidated.status_code == 304
    assert revalidated.content == b""
    assert revalidated.headers["etag"] == etag
    assert revalidated.headers["cache-control"] == "private, no-cache"
    other = await api.get(
        FORECASTS,
        params={"indicator": "vital.deaths", "region": TOKYO, "horizon": 6},
        headers={**login("a"), "If-None-Match": etag},
    )
    assert other.status_code == 200


async def apply_ssdse(stats_app, feed, **keep) -> None:
    status, messages = await feed.publish(
        stats_app.state.runtime, *feed.messages("ssdse-b-2023", **keep)
    )
    assert status == "applied", status
    (announcement,) = [payload for name, payload in messages if name == "analytics.dataset_updated"]
    await asyncio.to_thread(dataset_updated, announcement)


async def test_a_new_data_version_is_never_answered_with_the_stored_forecast(
    api, login, store, stats_app, feed
) -> None:
    await store("vital.births", [TOKYO])
    before = await get(api, login, "vital.births")
    assert before.headers["x-forecast-source"] == "stored"
    try:
        # The values published up to FY2019: another real vintage, a new version in stats.
        await apply_ssdse(stats_app, feed, keep=lambda cell: cell["time"] < "2020")
        after = await get(
            api, login, "vital.births", headers={"If-None-Match": before.headers["etag"]}
        )
        assert after.headers["x-forecast-source"] == "fitted"
        assert after.headers["etag"] != before.headers["etag"]
        assert after.json()["data_version"] != before.json()["data_version"]
        assert after.json()["history"][-1]["period"] == "FY2019"
        # Once the worker has fitted the new version, that is stored and answered again.
        assert (await store("vital.births", [TOKYO]))["stored"] == 1
        forget_cached_answers()
        restored = await get(api, login, "vital.births")
        assert restored.headers["x-forecast-source"] == "stored"
        assert restored.content == after.content
    finally:
        await apply_ssdse(stats_app, feed)
    latest = await get(api, login, "vital.births")
    assert latest.headers["x-forecast-source"] == "fitted"
    assert latest.json()["history"][-1]["period"] == "FY2020"


class PublishDuringTheFit(httpx.AsyncBaseTransport):
    """Stats in-process; when the worker fetches the series' data for the first time, ``publish``
    runs first, so stats' versions change between the fit's two reads of them."""

    def __init__(self, inner: httpx.AsyncBaseTransport, publish: Callable[[], Awaitable[None]]):
        self.inner, self.publish, self.published = inner, publish, False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/comparison" and not self.published:
            self.published = True
            await self.publish()
        return await self.inner.handle_async_request(request)


async def publish_census(stats_app, feed, **keep) -> list[str]:
    """Publish the census table (or the cells ``keep`` accepts) and hand its announcement to
    analytics as the bus would; the indicators analytics then asks the worker to recompute."""
    status, messages = await feed.publish(
        stats_app.state.runtime, *feed.messages("census-c01-1920-2015", **keep)
    )
    assert status == "applied", status
    (announcement,) = [payload for name, payload in messages if name == "analytics.dataset_updated"]
    return await asyncio.to_thread(dataset_updated, announcement)


async def test_a_fit_that_sees_a_new_version_is_made_again_on_it(
    api, login, analytics_app, stats_app, feed
) -> None:
    """The race that lost stored series: a dataset that does not hold the indicator (the census,
    for births) publishes while a series is fitted. The fit is discarded, and that version's
    announcement never asks for births again, so the worker refits on the newer data at once."""
    sessions = analytics_app[0].state.runtime.sessions
    cache = query_cache(analytics_app[0].state.runtime)
    async with sessions.begin() as session:
        await session.execute(
            delete(SeriesForecast).where(
                SeriesForecast.indicator == "vital.births", SeriesForecast.region_code == "01000"
            )
        )
    recomputed: list[list[str]] = []

    async def census_up_to_2010() -> None:
        recomputed.append(
            await publish_census(stats_app, feed, keep=lambda cell: cell["time"] < "2015")
        )

    racing = StatsClient(
        httpx.AsyncClient(
            base_url="http://stats",
            transport=PublishDuringTheFit(httpx.ASGITransport(app=stats_app), census_up_to_2010),
        ),
        login("analytics-worker", "admin")["Authorization"],
    )
    try:
        counts = await precompute_series(
            sessions, racing, "vital.births", horizons=[5], regions=["01000"], cache=cache
        )
        assert len(recomputed) == 1
        assert "vital.births" not in recomputed[0]
        assert counts == {"stored": 1, "up-to-date": 0, "skipped": 0, "changed": 0}
        async with sessions() as session:
            stored = await repository.series_forecast(session, "vital.births", "01000", 5)
        assert stored is not None
        assert stored.versions == await racing.dataset_versions()
        forget_cached_answers()
        answer = await get(api, login, "vital.births", region="01000")
        assert answer.headers["x-forecast-source"] == "stored"
        assert answer.content == stored.body.encode()
        # Idempotent: a redelivered task finds it up to date.
        again = await precompute_series(
            sessions, racing, "vital.births", horizons=[5], regions=["01000"], cache=cache
        )
        assert again == {"stored": 0, "up-to-date": 1, "skipped": 0, "changed": 0}
    finally:
        await racing.aclose()
        await publish_census(stats_app, feed)
    forget_cached_answers()
    # The census restored: a dataset that cannot feed births, so the stored answer still holds.
    restored = await get(api, login, "vital.births", region="01000")
    assert restored.headers["x-forecast-source"] == "stored"


def row(versions: dict[str, int], data_version: str = "ssdse-b-2023@2") -> SeriesForecast:
    return SeriesForecast(
        indicator="vital.births", data_version=data_version, versions=versions, body="{}"
    )


def announced(**indicators: list[str]) -> dict[str, DatasetVersion]:
    return {
        name.replace("_", "-"): DatasetVersion(stats_data_id=name, version=1, indicators=codes)
        for name, codes in indicators.items()
    }


def test_only_datasets_that_can_feed_the_indicator_decide_whether_it_is_current() -> None:
    stored = row({"ssdse-b-2023": 2, "census-2020": 1})
    known = announced(ssdse_b_2023=["vital.births"], census_2020=["population.total"])
    assert is_current(stored, {"ssdse-b-2023": 2, "census-2020": 1}, known)
    # A dataset that never holds the indicator changed: still current.
    assert is_current(stored, {"ssdse-b-2023": 2, "census-2020": 2}, known)
    # The dataset it came from changed, or went away: not current.
    assert not is_current(stored, {"ssdse-b-2023": 3, "census-2020": 1}, known)
    assert not is_current(stored, {"census-2020": 1}, known)
    # A new dataset announced with the indicator, or one never announced: not current.
    with_new = {**known, **announced(vital_2024=["vital.births"])}
    assert not is_current(stored, {"ssdse-b-2023": 2, "census-2020": 1, "vital-2024": 1}, with_new)
    assert not is_current(stored, {"ssdse-b-2023": 2, "census-2020": 1, "other": 1}, known)


async def test_a_row_of_an_older_representation_is_never_served_and_is_fitted_again(
    api, login, store, analytics_app
) -> None:
    await store("vital.deaths", [TOKYO])
    sessions = analytics_app[0].state.runtime.sessions
    async with sessions.begin() as session:
        await session.execute(
            update(SeriesForecast)
            .where(SeriesForecast.indicator == "vital.deaths", SeriesForecast.region_code == TOKYO)
            .values(representation="1", body='{"an": "older shape"}')
        )
    forget_cached_answers()
    fitted = await get(api, login, "vital.deaths")
    assert fitted.headers["x-forecast-source"] == "fitted"
    assert "runners_up" in fitted.json()["model"]
    assert await store("vital.deaths", [TOKYO]) == {
        "stored": 1,
        "up-to-date": 0,
        "skipped": 0,
        "changed": 0,
    }
    async with sessions() as session:
        row = await repository.series_forecast(session, "vital.deaths", TOKYO, 5)
    assert row is not None
    assert (row.representation, row.body) == (REPRESENTATION_VERSION, fitted.text)
