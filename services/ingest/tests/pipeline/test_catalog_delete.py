"""DELETE /api/ingest/catalog/{id}: allowed for an entry nothing was published from; an entry
with a published version is disabled instead (409)."""

from __future__ import annotations

from .conftest import Api, Source
from .test_admin_api import assert_problem

CENSUS = "census-c01-1920-2015"


async def test_an_entry_without_versions_is_deleted_and_audited(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("catalog-delete")
    source.copy(CENSUS, stats_data_id)
    entry = {"stats_data_id": stats_data_id, "schedule": "manual"}
    assert (await api.admin.post("/api/ingest/catalog", json=entry)).status_code == 201

    deleted = await api.admin.delete(f"/api/ingest/catalog/{stats_data_id}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    url = f"/api/ingest/catalog/{stats_data_id}"
    assert_problem(await api.admin.get(url), 404, "catalog-entry-not-found")
    assert_problem(await api.admin.delete(url), 404, "catalog-entry-not-found")
    audit = await api.admin.get("/api/ingest/audit", params={"target_id": stats_data_id})
    rows = audit.json()["items"]
    assert [row["action"] for row in rows] == ["catalog.entry_deleted", "catalog.entry_created"]
    assert (rows[0]["before"]["stats_data_id"], rows[0]["after"]) == (stats_data_id, None)


async def test_an_entry_with_a_published_version_must_be_disabled_instead(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("catalog-keep")
    source.copy(CENSUS, stats_data_id)
    entry = {"stats_data_id": stats_data_id, "schedule": "manual"}
    assert (await api.admin.post("/api/ingest/catalog", json=entry)).status_code == 201
    assert (await api.ingest(stats_data_id))["status"] == "succeeded"

    refused = await api.admin.delete(f"/api/ingest/catalog/{stats_data_id}")

    problem = assert_problem(refused, 409, "catalog-entry-has-versions")
    assert problem["current_version"] == 1
    kept = await api.admin.get(f"/api/ingest/catalog/{stats_data_id}")
    assert kept.status_code == 200
    assert kept.json()["current"]["version"] == 1
