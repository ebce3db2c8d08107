"""Dry runs: POST /api/ingest/runs {"dry_run": true} fetches and checks the table, records the
report, and publishes nothing (stats keeps serving its version).

The table is a copy of the recorded census table; its changed content is the same table with
Tokyo's 2015 total population plus one person.
"""

from __future__ import annotations

from .conftest import Api, Source, Workers, recorded, stats_version, values_of

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


async def test_a_dry_run_checks_changed_content_without_publishing(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("census-dry")
    source.copy(CENSUS, stats_data_id)
    first = await api.ingest(stats_data_id)
    source.put(stats_data_id, edited_census())

    checked = await api.ingest(stats_data_id, dry_run=True)

    assert checked["status"] == "succeeded", checked
    assert (checked["outcome"], checked["dry_run"], checked["version"]) == ("checked", True, None)
    assert checked["counts"]["cells"] == 2880
    assert checked["content_hash"] not in (None, first["content_hash"])
    assert stats_version(platform, stats_data_id) == 1
    # The real run afterwards publishes exactly what the dry run checked.
    published = await api.ingest(stats_data_id)
    assert (published["outcome"], published["version"]) == ("published", 2)
    assert published["content_hash"] == checked["content_hash"]


async def test_a_dry_run_that_would_be_blocked_says_so_without_an_alert(
    api: Api, source: Source, platform, unique, alerts, workers: Workers
) -> None:
    stats_data_id = unique("census-dry-block")
    source.copy(CENSUS, stats_data_id)
    assert (await api.ingest(stats_data_id))["status"] == "succeeded"

    run = await api.ingest(stats_data_id, dry_run=True, filters={"cdArea": "13000"})

    assert run["status"] == "blocked"
    assert run["dry_run"] is True
    assert [(q["check"], q["severity"], q["count"]) for q in run["quality"]] == [
        ("volume_drop", "block", 2880 - 60)
    ]
    assert stats_version(platform, stats_data_id) == 1
    # The worker logs the step's end after any alert it sends.
    await workers.until_logged("ingest", "ingest.run_step_done", run["id"])
    assert [a for a in alerts.received if a.get("run_id") == run["id"]] == []
