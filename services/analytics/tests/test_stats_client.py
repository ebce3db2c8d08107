"""The stats client reads stats' lists to the end: it follows ``next`` until it is null."""

import pytest

from chiiki_analytics.stats_client import StatsClient


@pytest.fixture
def stats(analytics_app, login) -> StatsClient:
    client = analytics_app[0].state.runtime.extras["stats_client"]
    return client.with_authorization(login("analytics-worker", "admin")["Authorization"])


async def test_every_prefecture_is_read_across_pages(stats) -> None:
    whole = await stats.prefectures()
    paged = await stats.prefectures(page_size=10)  # five pages: 10, 10, 10, 10, 7
    assert [region.code for region in paged] == [f"{n:02d}000" for n in range(1, 48)]
    assert paged == whole
    assert (paged[12].name_ja, paged[12].name_en, paged[12].level) == (
        "東京都",
        "Tokyo",
        "prefecture",
    )


async def test_every_dataset_version_is_read_across_pages(stats) -> None:
    whole = await stats.dataset_versions()
    assert len(whole) >= 2
    assert all(version >= 1 for version in whole.values())
    assert await stats.dataset_versions(page_size=1) == whole
