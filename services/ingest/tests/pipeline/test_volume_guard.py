"""The volume guard: a run with more than its catalog entry's ``max_shrink`` fewer cells than the
served version is blocked by ``volume_drop`` unless it says ``allow_shrink``.

The shrinking runs narrow a copy of the recorded census table (2,880 cells: 48 areas x 3 sexes x
20 censuses) with e-Stat's own ``cdArea`` filter; no value is edited.
"""

from __future__ import annotations

import pytest

from chiiki_ingest.quality import Check, Report, Served, Severity, check_volume

from .conftest import Api, Source, assert_same_cells, source_cells, stats_cells, stats_version
from .test_admin_api import assert_problem

CENSUS = "census-c01-1920-2015"
TOKYO_OSAKA = {"cdArea": ["13000", "27000"]}
FIRST_RUN_CHECKS = (
    "count_mismatch",
    "duplicate_cell",
    "shape",
    "undeclared_mark",
    "unit_change",
    "unknown_code",
    "unknown_region",
)


def findings(report: Report) -> list[tuple[str, str, int]]:
    return [(f.check.value, f.severity.value, f.count) for f in report.findings()]


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (2880, []),
        (3000, []),
        (2592, []),  # exactly 10 % fewer: allowed
        (2591, [("volume_drop", "block", 289)]),
        (120, [("volume_drop", "block", 2760)]),
    ],
)
def test_the_guard_blocks_beyond_max_shrink(cells: int, expected: list) -> None:
    report = Report()
    check_volume(cells, Served(3, 2880), 0.1, False, report)
    assert findings(report) == expected
    assert report.blocked is bool(expected)


def test_an_allowed_shrink_warns_with_what_it_lost() -> None:
    report = Report()
    check_volume(120, Served(3, 2880), 0.1, True, report)
    [finding] = report.findings()
    assert (finding.check, finding.severity, finding.count) == (
        Check.VOLUME_DROP,
        Severity.WARN,
        2760,
    )
    assert finding.samples == [
        {
            "cells": 120,
            "served_cells": 2880,
            "served_version": 3,
            "shrink": 0.9583,
            "max_shrink": 0.1,
            "allow_shrink": True,
        }
    ]
    assert not report.blocked


def test_nothing_served_nothing_to_guard() -> None:
    report = Report()
    check_volume(1, None, 0.1, False, report)
    check_volume(0, Served(1, 0), 0.1, False, report)
    assert report.findings() == []


async def test_a_narrowed_run_is_blocked_unless_it_allows_the_shrink(
    api: Api, source: Source, platform, unique, alerts
) -> None:
    stats_data_id = unique("census-shrink")
    document = source.copy(CENSUS, stats_data_id)
    first = await api.ingest(stats_data_id)
    assert first["status"] == "succeeded"
    # The report lists every check the run ran, passes included (nothing served yet: no volume
    # guard, no comparison with a previous version).
    assert [(c["check"], c["result"], c["count"]) for c in first["checks"]] == [
        (check, "pass", 0) for check in FIRST_RUN_CHECKS
    ]

    blocked = await api.ingest(stats_data_id, filters=TOKYO_OSAKA)

    assert blocked["status"] == "blocked"
    assert blocked["error"]["code"] == "quality-blocked"
    assert blocked["allow_shrink"] is False
    [finding] = blocked["quality"]
    assert (finding["check"], finding["severity"], finding["count"]) == (
        "volume_drop",
        "block",
        2760,
    )
    assert finding["samples"][0]["served_cells"] == 2880
    assert finding["samples"][0]["cells"] == 120
    assert alerts.for_run(blocked["id"])["blocking_checks"][0]["check"] == "volume_drop"
    assert [(c["check"], c["result"], c["count"]) for c in blocked["checks"]] == sorted(
        [(check, "pass", 0) for check in (*FIRST_RUN_CHECKS, "jump")]
        + [("volume_drop", "block", 2760)]
    )
    assert stats_version(platform, stats_data_id) == 1
    assert len(stats_cells(platform, stats_data_id)) == 2880  # the whole table stays served

    allowed = await api.ingest(stats_data_id, filters=TOKYO_OSAKA, allow_shrink=True)

    assert allowed["status"] == "succeeded", allowed
    assert allowed["allow_shrink"] is True
    assert [(q["check"], q["severity"], q["count"]) for q in allowed["quality"]] == [
        ("volume_drop", "warn", 2760)
    ]
    assert stats_version(platform, stats_data_id) == 2
    expected = {k: v for k, v in source_cells(document).items() if k[-2] in ("13000", "27000")}
    assert_same_cells(expected, stats_cells(platform, stats_data_id))


async def test_max_shrink_is_per_catalog_entry(api: Api, source: Source, platform, unique) -> None:
    stats_data_id = unique("census-maxshrink")
    source.copy(CENSUS, stats_data_id)
    entry = {"stats_data_id": stats_data_id, "schedule": "manual", "max_shrink": 0.5}
    created = await api.admin.post("/api/ingest/catalog", json=entry)
    assert created.status_code == 201
    assert created.json()["max_shrink"] == 0.5
    assert (await api.ingest(stats_data_id))["status"] == "succeeded"
    # 30 of the 48 areas: 1,800 cells, 37.5 % fewer (more than the default 10 %, less than 50 %).
    areas = sorted({k[-2] for k in source_cells(source.copy(CENSUS, stats_data_id))})[:30]

    run = await api.ingest(stats_data_id, filters={"cdArea": areas})

    assert run["status"] == "succeeded", run
    assert run["quality"] == []
    assert (run["counts"]["cells"], stats_version(platform, stats_data_id)) == (1800, 2)

    patched = await api.admin.patch(f"/api/ingest/catalog/{stats_data_id}", json={"max_shrink": 0})
    assert patched.json()["max_shrink"] == 0
    shrunk = await api.ingest(stats_data_id, filters={"cdArea": areas[:29]})
    assert shrunk["status"] == "blocked"
    assert [(q["check"], q["count"]) for q in shrunk["quality"]] == [("volume_drop", 60)]


async def test_max_shrink_outside_zero_to_one_is_422(api: Api, unique) -> None:
    entry = {"stats_data_id": unique("census-badshrink"), "max_shrink": 1.5}
    problem = assert_problem(
        await api.admin.post("/api/ingest/catalog", json=entry), 422, "validation-failed"
    )
    assert [e["field"] for e in problem["errors"]] == ["body.max_shrink"]
