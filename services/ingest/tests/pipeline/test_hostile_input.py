"""Hostile input to the ingest admin API: 4xx problem documents, never a 500, and no run made."""

from __future__ import annotations

import pytest

from .conftest import Api


def assert_invalid(response, field: str) -> dict:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation-failed"
    assert body["errors"][0]["field"] == field
    return body


@pytest.mark.parametrize("offset", ["9223372036854775808", "1e23", "-1", str(10**30)])
async def test_run_list_offsets_beyond_bigint_are_422(api: Api, offset: str) -> None:
    response = await api.admin.get("/api/ingest/runs", params={"offset": offset})
    assert_invalid(response, "query.offset")


async def test_the_largest_bigint_offset_is_an_empty_page(api: Api) -> None:
    response = await api.admin.get("/api/ingest/runs", params={"offset": str(2**63 - 1)})
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []


async def test_statuses_repeat_but_limits_do_not(api: Api) -> None:
    listed = await api.admin.get("/api/ingest/runs?status=failed&status=blocked&limit=5")
    assert listed.status_code == 200, listed.text
    repeated = await api.admin.get("/api/ingest/runs?limit=5&limit=6")
    body = assert_invalid(repeated, "query.limit")
    assert body["errors"][0]["type"] == "repeated"


async def test_nul_in_a_run_request_creates_no_run(api: Api) -> None:
    before = (await api.admin.get("/api/ingest/runs")).json()["total"]
    response = await api.admin.post(
        "/api/ingest/runs", json={"stats_data_id": "0003445099", "filters": {"cdArea": "13\u0000"}}
    )
    body = assert_invalid(response, "body.filters.cdArea")
    assert body["errors"][0]["type"] == "control_character"
    assert (await api.admin.get("/api/ingest/runs")).json()["total"] == before
