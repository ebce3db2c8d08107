"""Rolling back: POST /api/ingest/catalog/{id}/rollback {"version": n} publishes version n's
stored pages again, without asking the source, so that stats serves n's cells (as its next
version: stats' history stays append-only); the run history and the audit log record it.

The table is a copy of the recorded census table; version 2 is the same table with one value
edited (Tokyo's 2015 total population plus one person), so the two versions differ in one cell.
"""

from __future__ import annotations

import psycopg

from .conftest import (
    Api,
    Source,
    assert_same_cells,
    recorded,
    source_cells,
    stats_cells,
    stats_version,
    values_of,
)
from .test_admin_api import assert_problem

CENSUS = "census-c01-1920-2015"


def edited_census() -> dict:
    document = recorded(CENSUS)
    cell = next(
        v
        for v in values_of(document)
        if (v["@area"], v["@cat01"], v["@time"]) == ("13000", "0", "2015000000")
    )
    cell["$"] = str(int(cell["$"]) + 1)
    return document


async def two_versions(api: Api, source: Source, stats_data_id: str) -> tuple[dict, dict]:
    first_document = source.copy(CENSUS, stats_data_id)
    entry = {"stats_data_id": stats_data_id, "schedule": "manual"}
    assert (await api.admin.post("/api/ingest/catalog", json=entry)).status_code == 201
    first = await api.ingest(stats_data_id)
    source.put(stats_data_id, edited_census())
    second = await api.ingest(stats_data_id)
    assert (first["version"], second["version"]) == (1, 2), (first, second)
    return first_document, first


async def test_a_rollback_serves_the_earlier_version_again(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("census-rollback")
    first_document, first = await two_versions(api, source, stats_data_id)
    asked_before = len(source.requests(stats_data_id))

    response = await api.admin.post(
        f"/api/ingest/catalog/{stats_data_id}/rollback", json={"version": 1}
    )

    assert response.status_code == 202, response.text
    accepted = response.json()
    assert (accepted["trigger"], accepted["restores_version"]) == ("rollback", 1)
    run = await api.wait(accepted["id"])
    assert run["status"] == "succeeded", run
    assert (run["outcome"], run["version"], run["restores_version"]) == ("published", 3, 1)
    assert run["content_hash"] == first["content_hash"]
    assert len(source.requests(stats_data_id)) == asked_before  # read from the stored pages
    assert stats_version(platform, stats_data_id) == 3
    assert_same_cells(source_cells(first_document), stats_cells(platform, stats_data_id))
    history = await api.admin.get("/api/ingest/runs", params={"stats_data_id": stats_data_id})
    assert [r["trigger"] for r in history.json()["items"]] == ["rollback", "api", "api"]
    audit = await api.admin.get(
        "/api/ingest/audit", params={"action": "catalog.version_rolled_back"}
    )
    [row] = [r for r in audit.json()["items"] if r["target_id"] == stats_data_id]
    assert (row["before"], row["after"]) == ({"version": 2}, {"version": 1, "run_id": run["id"]})


async def test_rollbacks_that_cannot_be_done_are_refused(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("census-rollback-no")
    _, first = await two_versions(api, source, stats_data_id)
    url = f"/api/ingest/catalog/{stats_data_id}/rollback"

    assert_problem(await api.admin.post(url, json={"version": 2}), 409, "version-is-current")
    assert_problem(await api.admin.post(url, json={"version": 7}), 404, "version-not-found")
    invalid = await api.admin.post(url, json={"version": 0})
    assert_problem(invalid, 422, "validation-failed")
    unknown = await api.admin.post("/api/ingest/catalog/t-nowhere/rollback", json={"version": 1})
    assert_problem(unknown, 404, "catalog-entry-not-found")
    # Edit: version 1's pages pruned, as retention does after INGEST_RETENTION_VERSIONS versions.
    with psycopg.connect(platform.admin_url, autocommit=True) as connection:
        connection.execute(
            "UPDATE ingest.run_pages SET body = NULL WHERE run_id = %s", (first["id"],)
        )
    problem = assert_problem(
        await api.admin.post(url, json={"version": 1}), 409, "version-not-retained"
    )
    assert problem["retention_versions"] == 5
    assert stats_version(platform, stats_data_id) == 2
