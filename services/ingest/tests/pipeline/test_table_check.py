"""Adding a catalog entry asks e-Stat's getMetaInfo first (here the replay server, which answers
it from the copied recorded table as e-Stat would) and refuses an unknown table, dimensions the
table does not have and filters naming codes or levels it lacks, each named in a 422.

The table is a copy of the recorded census table: tab, cat01 (0, 1, 2: total, male, female),
area (00000 at level 1, the 47 prefectures at level 2) and time (20 censuses).
"""

from __future__ import annotations

import json

import pytest

from chiiki_ingest.catalog import EntrySpec
from chiiki_ingest.cells import parse_page
from chiiki_ingest.estat import MetaInfo
from chiiki_ingest.tablecheck import mismatches

from .conftest import Api, Source, recorded
from .test_admin_api import assert_problem

CENSUS = "census-c01-1920-2015"


def census_meta() -> MetaInfo:
    page = parse_page(json.dumps(recorded(CENSUS)).encode())
    assert page.table is not None
    return MetaInfo(CENSUS, page.table, page.dimensions)


def fields(**spec) -> list[tuple[str, str, list[str] | None]]:
    found = mismatches(EntrySpec(stats_data_id=CENSUS, **spec), census_meta())
    return [(e["field"], e["type"], e.get("unknown")) for e in found]


def test_an_entry_naming_what_the_table_has_fits() -> None:
    assert fields() == []
    filters = {
        "cdArea": ["13000", "27000"],
        "cdCat01": "1",
        "lvArea": "2",
        "cdTimeFrom": "2000000000",
    }
    assert fields(filters=filters) == []
    assert fields(filters={"lvArea": "1-2"}) == []
    assert fields(filters={"lvArea": "-1"}) == []


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"area_dimension": "cat02"}, [("body.area_dimension", "unknown_dimension", None)]),
        ({"filters": {"cdCat02": "1"}}, [("body.filters.cdCat02", "unknown_dimension", None)]),
        (
            {"filters": {"cdArea": ["13000", "99000", "13100"]}},
            [("body.filters.cdArea", "unknown_code", ["99000", "13100"])],
        ),
        (
            {"filters": {"cdArea": "13000,99999"}},
            [("body.filters.cdArea", "unknown_code", ["99999"])],
        ),
        ({"filters": {"lvArea": "3"}}, [("body.filters.lvArea", "unknown_level", ["3"])]),
        ({"filters": {"lvArea": "3-5"}}, [("body.filters.lvArea", "unknown_level", ["3-5"])]),
        ({"filters": {"lvArea": "x"}}, [("body.filters.lvArea", "unknown_level", ["x"])]),
        (
            {"time_dimension": "cat03", "filters": {"cdCat01": "9", "cdTimeTo": "2025000000"}},
            [
                ("body.time_dimension", "unknown_dimension", None),
                ("body.filters.cdCat01", "unknown_code", ["9"]),
                ("body.filters.cdTimeTo", "unknown_code", ["2025000000"]),
            ],
        ),
    ],
)
def test_what_the_table_lacks_is_named(spec: dict, expected: list) -> None:
    assert fields(**spec) == expected


async def test_adding_an_unknown_table_is_422(api: Api, unique) -> None:
    stats_data_id = unique("no-such-table")

    response = await api.admin.post("/api/ingest/catalog", json={"stats_data_id": stats_data_id})

    problem = assert_problem(response, 422, "estat-table-unknown")
    assert f"statsDataId=[{stats_data_id}]のデータは存在しません。" in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == ["body.stats_data_id"]
    missing = await api.admin.get(f"/api/ingest/catalog/{stats_data_id}")
    assert_problem(missing, 404, "catalog-entry-not-found")


async def test_filters_the_table_lacks_are_refused_by_name(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("census-meta")
    source.copy(CENSUS, stats_data_id)
    entry = {
        "stats_data_id": stats_data_id,
        "filters": {"cdArea": ["13000", "99000"], "cdCat05": "1"},
    }

    response = await api.admin.post("/api/ingest/catalog", json=entry)

    problem = assert_problem(response, 422, "catalog-entry-mismatch")
    assert problem["errors"] == [
        {
            "field": "body.filters.cdArea",
            "message": "area has no codes 99000",
            "type": "unknown_code",
            "unknown": ["99000"],
        },
        {
            "field": "body.filters.cdCat05",
            "message": "the table has no cat05 dimension",
            "type": "unknown_dimension",
        },
    ]
    assert_problem(
        await api.admin.get(f"/api/ingest/catalog/{stats_data_id}"), 404, "catalog-entry-not-found"
    )
    requests = [r["endpoint"] for r in source.requests(stats_data_id)]
    assert requests == ["getMetaInfo"]


async def test_a_fitting_entry_is_added_and_a_patch_is_checked_again(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("census-meta-ok")
    source.copy(CENSUS, stats_data_id)
    entry = {"stats_data_id": stats_data_id, "schedule": "manual", "filters": {"cdArea": "13000"}}
    assert (await api.admin.post("/api/ingest/catalog", json=entry)).status_code == 201

    refused = await api.admin.patch(
        f"/api/ingest/catalog/{stats_data_id}", json={"filters": {"lvArea": "4"}}
    )

    problem = assert_problem(refused, 422, "catalog-entry-mismatch")
    assert [(e["field"], e["unknown"]) for e in problem["errors"]] == [
        ("body.filters.lvArea", ["4"])
    ]
    kept = (await api.admin.get(f"/api/ingest/catalog/{stats_data_id}")).json()
    assert kept["filters"] == {"cdArea": "13000"}
    accepted = await api.admin.patch(
        f"/api/ingest/catalog/{stats_data_id}", json={"filters": {"lvArea": "2"}}
    )
    assert accepted.status_code == 200
    assert accepted.json()["filters"] == {"lvArea": "2"}
