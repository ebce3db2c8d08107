"""Incremental updates: a scheduled run asks getMetaInfo for the table's UPDATED_DATE first and
ends ``unchanged`` without fetching a page when it has not moved since the served version; it
fetches when the date moved, and a run asked for through the API always fetches.

The table is a copy of the recorded census table (2,880 cells, one page) given an UPDATED_DATE.
"""

from __future__ import annotations

from typing import Any

from .conftest import Api, Source, recorded, statistical_data, stats_version
from .test_rollback import edited_census

CENSUS = "census-c01-1920-2015"


def dated(document: dict[str, Any], updated: str) -> dict[str, Any]:
    statistical_data(document)["TABLE_INF"]["UPDATED_DATE"] = updated
    return document


def endpoints(source: Source, stats_data_id: str) -> list[str]:
    return [r["endpoint"] for r in source.requests(stats_data_id)]


async def run_now(api: Api, stats_data_id: str) -> dict[str, Any]:
    response = await api.admin.post(f"/api/ingest/schedule/{stats_data_id}/run")
    assert response.status_code == 202, response.text
    return await api.wait(response.json()["id"])


async def test_a_scheduled_run_fetches_only_when_the_source_was_updated(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("incremental")
    source.put(stats_data_id, dated(recorded(CENSUS), "2026-11-01"))
    entry = {"stats_data_id": stats_data_id, "schedule": "daily"}
    assert (await api.admin.post("/api/ingest/catalog", json=entry)).status_code == 201
    try:
        first = await api.ingest(stats_data_id)
        assert (first["outcome"], first["version"]) == ("published", 1), first
        asked = len(endpoints(source, stats_data_id))

        same = await run_now(api, stats_data_id)

        assert same["status"] == "succeeded", same
        assert (same["outcome"], same["version"], same["counts"]["pages"]) == ("unchanged", 1, 0)
        assert (same["counts"]["cells"], same["content_hash"]) == (2880, first["content_hash"])
        assert endpoints(source, stats_data_id)[asked:] == ["getMetaInfo"]
        assert stats_version(platform, stats_data_id) == 1

        # The source publishes a revision: one value edited, the date moved.
        source.put(stats_data_id, dated(edited_census(), "2026-11-20"))
        asked = len(endpoints(source, stats_data_id))
        revised = await run_now(api, stats_data_id)

        assert (revised["outcome"], revised["version"]) == ("published", 2), revised
        assert endpoints(source, stats_data_id)[asked:] == ["getMetaInfo", "getStatsData"]
        assert stats_version(platform, stats_data_id) == 2

        # Through the API a run always fetches (here: the same content, so unchanged by hash).
        asked = len(endpoints(source, stats_data_id))
        adhoc = await api.ingest(stats_data_id)
        assert (adhoc["outcome"], adhoc["version"], adhoc["counts"]["pages"]) == ("unchanged", 2, 1)
        assert endpoints(source, stats_data_id)[asked:] == ["getStatsData"]
    finally:  # no daily table of this test's left for other tests' ticks
        await api.admin.patch(f"/api/ingest/catalog/{stats_data_id}", json={"enabled": False})
