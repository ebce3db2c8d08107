"""A retry resumes from the pages its failed run stored when the source's UPDATED_DATE has not
moved, and fetches everything when it has (or is unknown).

The table is a copy of the recorded SSDSE-B table (61,476 cells: four pages of this suite's
20,000) with an UPDATED_DATE; its second page (startPosition 20001) fails until the fault is
cleared, so the failed run has stored page 1 only."""

from __future__ import annotations

from typing import Any

from .conftest import Api, Source, recorded, statistical_data, stats_version

SSDSE_B = "ssdse-b-2023"
SECOND_PAGE = "20001"
DOWN = {"kind": "status", "status": 503, "retry_after": "1", "count": None}


def dated(stats_data_id: str, source: Source, updated: str) -> dict[str, Any]:
    document = recorded(SSDSE_B)
    statistical_data(document)["TABLE_INF"]["UPDATED_DATE"] = updated
    return source.put(stats_data_id, document)


def data_requests(source: Source, stats_data_id: str) -> list[str]:
    """The startPosition of every getStatsData request made for the table so far."""
    return [
        r["params"].get("startPosition", "1")
        for r in source.requests(stats_data_id)
        if r.get("endpoint") == "getStatsData"
    ]


async def failed_on_page_two(api: Api, source: Source, stats_data_id: str) -> dict[str, Any]:
    source.faults(
        {
            **DOWN,
            "statsDataId": stats_data_id,
            "endpoint": "getStatsData",
            "startPosition": SECOND_PAGE,
        }
    )
    try:
        run = await api.ingest(stats_data_id)
    finally:
        source.clear_faults()
    assert run["status"] == "failed", run
    assert run["progress"]["pages_fetched"] == 1
    return run


async def retry(api: Api, run: dict[str, Any]) -> dict[str, Any]:
    response = await api.admin.post(f"/api/ingest/runs/{run['id']}/retry")
    assert response.status_code == 202, response.text
    return await api.wait(response.json()["id"])


async def test_a_retry_resumes_from_the_stored_pages_when_the_source_is_unchanged(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("resume-same")
    dated(stats_data_id, source, "2026-11-01")
    failed = await failed_on_page_two(api, source, stats_data_id)
    asked_before = len(data_requests(source, stats_data_id))

    done = await retry(api, failed)

    assert done["status"] == "succeeded", done
    assert done["counts"]["cells"] == 61476
    assert done["progress"]["pages_resumed"] == 1
    assert done["progress"]["pages_fetched"] == 4
    # Page 1 came from the failed run's store; the source was asked for pages 2-4 only.
    assert data_requests(source, stats_data_id)[asked_before:] == ["20001", "40001", "60001"]
    assert stats_version(platform, stats_data_id) == 1


async def test_a_retry_fetches_everything_when_the_source_was_updated(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("resume-moved")
    dated(stats_data_id, source, "2026-11-01")
    failed = await failed_on_page_two(api, source, stats_data_id)
    dated(stats_data_id, source, "2026-11-20")  # a new release since the failure
    asked_before = len(data_requests(source, stats_data_id))

    done = await retry(api, failed)

    assert done["status"] == "succeeded", done
    assert done["progress"]["pages_resumed"] == 0
    assert data_requests(source, stats_data_id)[asked_before:] == ["1", "20001", "40001", "60001"]
