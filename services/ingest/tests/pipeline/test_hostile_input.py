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


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "WyJ4Il0",  # ["x"]: one key where runs have two
        "WyJub3QgYSB0aW1lIiwiMSJd",  # ["not a time","1"]
        "WyIyMDI2LTEyLTAyVDAwOjAwOjAwIiwiMSJd",  # ["2026-12-02T00:00:00","1"]: no zone, no id
    ],
)
async def test_run_list_cursors_it_did_not_issue_are_422(api: Api, cursor: str) -> None:
    response = await api.admin.get("/api/ingest/runs", params={"cursor": cursor})
    assert_invalid(response, "query.cursor")


@pytest.mark.parametrize("path", ["/api/ingest/catalog", "/api/ingest/schedule"])
async def test_catalog_cursors_it_did_not_issue_are_422(api: Api, path: str) -> None:
    for cursor in ("not-a-cursor", "WzFd"):  # [1]: not an id
        assert_invalid(await api.admin.get(path, params={"cursor": cursor}), "query.cursor")


async def test_offsets_are_no_longer_taken(api: Api) -> None:
    response = await api.admin.get("/api/ingest/runs", params={"offset": "9223372036854775808"})
    assert_invalid(response, "query.offset")


async def test_statuses_repeat_but_limits_do_not(api: Api) -> None:
    listed = await api.admin.get("/api/ingest/runs?status=failed&status=blocked&limit=5")
    assert listed.status_code == 200, listed.text
    repeated = await api.admin.get("/api/ingest/runs?limit=5&limit=6")
    body = assert_invalid(repeated, "query.limit")
    assert body["errors"][0]["type"] == "repeated"


async def test_nul_in_a_run_request_creates_no_run(api: Api) -> None:
    runs = {"stats_data_id": "0003445099", "limit": 200}
    before = (await api.admin.get("/api/ingest/runs", params=runs)).json()["items"]
    response = await api.admin.post(
        "/api/ingest/runs", json={"stats_data_id": "0003445099", "filters": {"cdArea": "13\u0000"}}
    )
    body = assert_invalid(response, "body.filters.cdArea")
    assert body["errors"][0]["type"] == "control_character"
    assert (await api.admin.get("/api/ingest/runs", params=runs)).json()["items"] == before
