"""Quality checks, each with its severity, on real recorded tables.

Every anomaly here is made by editing a copy of a recorded table (in memory, or in the replay
server's temporary tables folder); the recordings themselves are never changed. The edits are
what each test says (a value multiplied by ten, a unit renamed, a row repeated...), applied to
otherwise real published numbers.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from chiiki_ingest.cells import Content, Normaliser, parse_page, sort_rows
from chiiki_ingest.publishing import content_hash
from chiiki_ingest.quality import (
    Check,
    JumpRule,
    Report,
    SeriesView,
    Severity,
    check_against_previous,
    check_table,
    severities,
)

from .conftest import Api, Source, recorded, set_values, statistical_data, stats_version, values_of

TOKYO, POPULATION, FY2020 = "13000", "A1101", "2020100000"


def normalised(document: dict[str, Any], report: Report | None = None) -> tuple[Content, Report]:
    """A document through the pipeline's own normalising and whole-table checks."""
    report = report or Report()
    page = parse_page(json.dumps(document).encode())
    normaliser = Normaliser(page, report)
    normaliser.add_page(page)
    content = normaliser.content
    sort_rows(content)
    check_table(content.layout, content.rows, content.total_number, report)
    return content, report


def against(previous: dict[str, Any], current: dict[str, Any], report: Report) -> None:
    old, _ = normalised(previous)
    new, _ = normalised(current, report)
    check_against_previous(
        SeriesView.of(new.layout, new.rows), SeriesView.of(old.layout, old.rows), JumpRule(), report
    )


def checks(report: Report) -> dict[str, tuple[str, int]]:
    return {f.check.value: (f.severity.value, f.count) for f in report.findings()}


def tokyo_population(document: dict[str, Any]) -> dict[str, Any]:
    return next(
        v
        for v in values_of(document)
        if (v["@area"], v["@cat01"], v["@time"]) == (TOKYO, POPULATION, FY2020)
    )


@pytest.mark.parametrize(
    "recorded_id", ["census-c01-1920-2015", "0003445099", "ssdse-b-2023", "ssdse-a-2023"]
)
def test_the_recorded_tables_pass_every_check(recorded_id: str) -> None:
    content, report = normalised(recorded(recorded_id))
    assert report.findings() == []
    assert len(content.rows) == content.total_number


def test_duplicate_cells_block() -> None:
    document = recorded("census-c01-1920-2015")
    # Edit: the first VALUE row appears twice (as a paging bug would make it).
    values = values_of(document)
    set_values(document, [*values, dict(values[0])])
    _, report = normalised(document)
    assert checks(report) == {"duplicate_cell": ("block", 1)}
    assert report.blocked


def test_count_mismatch_blocks() -> None:
    document = recorded("census-c01-1920-2015")
    # Edit: TOTAL_NUMBER claims one cell more than the page holds.
    statistical_data(document)["RESULT_INF"]["TOTAL_NUMBER"] += 1
    _, report = normalised(document)
    assert checks(report) == {"count_mismatch": ("block", 1)}


def test_codes_outside_class_inf_block() -> None:
    document = recorded("census-c01-1920-2015")
    # Edit: one cell's sex code changed to "9", which CLASS_INF does not list.
    values_of(document)[5]["@cat01"] = "9"
    _, report = normalised(document)
    assert checks(report)["unknown_code"] == ("block", 1)


def test_cells_lacking_a_dimension_block() -> None:
    document = recorded("census-c01-1920-2015")
    # Edit: one VALUE loses its @time attribute.
    del values_of(document)[7]["@time"]
    _, report = normalised(document)
    assert checks(report)["shape"] == ("block", 1)


def test_undeclared_marks_block_and_declared_ones_pass() -> None:
    document = recorded("census-c01-1920-2015")
    # 沖縄県 1945 is "-", declared in NOTE: fine. Edit: a second cell gets the text "n/a",
    # which NOTE does not declare.
    declared = [v for v in values_of(document) if v["$"] == "-"]
    assert len(declared) == 3
    values_of(document)[10]["$"] = "n/a"
    _, report = normalised(document)
    assert checks(report) == {"undeclared_mark": ("block", 1)}
    [finding] = report.findings()
    assert finding.samples[0]["value"] == "n/a"


def test_unknown_regions_warn_by_default() -> None:
    document = recorded("census-c01-1920-2015")
    # Edit: 北海道 (01000) is recoded to 99000, in CLASS_INF and in its cells: a code the table
    # declares but the platform's regions do not have.
    data = statistical_data(document)
    area = next(o for o in data["CLASS_INF"]["CLASS_OBJ"] if o["@id"] == "area")
    next(c for c in area["CLASS"] if c["@code"] == "01000")["@code"] = "99000"
    for value in values_of(document):
        if value["@area"] == "01000":
            value["@area"] = "99000"
    _, report = normalised(document)
    assert checks(report) == {"unknown_region": ("warn", 60)}
    assert report.findings()[0].samples == [{"area": "99000"}]
    assert not report.blocked


def test_a_unit_change_against_the_previous_version_blocks() -> None:
    previous = recorded("census-c01-1920-2015")
    current = copy.deepcopy(previous)
    # Edit: the population tab is relabelled from 人 to 千人 (on the class and every VALUE),
    # as if the source switched to thousands.
    tab = statistical_data(current)["CLASS_INF"]["CLASS_OBJ"][0]
    tab["CLASS"]["@unit"] = "千人"
    for value in values_of(current):
        value["@unit"] = "千人"
    report = Report()
    against(previous, current, report)
    assert checks(report) == {"unit_change": ("block", 144)}  # 48 areas x 3 sexes
    sample = report.findings()[0].samples[0]
    assert (sample["previous_unit"], sample["unit"]) == ("人", "千人")


def test_a_unit_changing_within_a_series_blocks() -> None:
    document = recorded("census-c01-1920-2015")
    # Edit: one census year of one series is given in 千人.
    values_of(document)[0]["@unit"] = "千人"
    _, report = normalised(document)
    assert checks(report) == {"unit_change": ("block", 1)}


def test_an_implausible_revision_is_flagged_by_its_robust_z_score() -> None:
    previous = recorded("ssdse-b-2023")
    current = copy.deepcopy(previous)
    # Edit: Tokyo's fiscal-2020 population is multiplied by ten; a second, ordinary revision
    # (Osaka +0.1%) must not be flagged.
    cell = tokyo_population(current)
    cell["$"] = str(int(cell["$"]) * 10)
    osaka = next(
        v
        for v in values_of(current)
        if (v["@area"], v["@cat01"], v["@time"]) == ("27000", POPULATION, FY2020)
    )
    osaka["$"] = str(int(osaka["$"]) + int(osaka["$"]) // 1000)
    report = Report()
    against(previous, current, report)
    assert checks(report) == {"jump": ("warn", 1)}
    [sample] = report.findings()[0].samples
    assert sample["series"] == {"tab": "00001", "cat01": POPULATION, "area": TOKYO}
    assert sample["time"] == FY2020
    assert sample["value"] == int(cell["$"])
    assert sample["robust_z"] >= 6


def test_new_periods_are_checked_against_the_history() -> None:
    # Edit: the previous version is SSDSE-B without fiscal 2020; the new one adds the real 2020
    # values. Real anomalies show: fiscal 2020 is the first pandemic year (hotels, travel).
    current = recorded("ssdse-b-2023")
    previous = copy.deepcopy(current)
    set_values(previous, [v for v in values_of(previous) if v["@time"] != FY2020])
    report = Report()
    against(previous, current, report)
    [finding] = report.findings()
    assert (finding.check, finding.severity) == (Check.JUMP, Severity.WARN)
    assert 0 < finding.count < 5123 * 0.05  # flagged: a few percent of the 5,123 new points
    assert {s["time"] for s in finding.samples} == {FY2020}


def test_the_content_hash_ignores_paging_and_order() -> None:
    document = recorded("census-c01-1920-2015")
    shuffled = copy.deepcopy(document)
    values_of(shuffled).reverse()
    first, _ = normalised(document)
    second, _ = normalised(shuffled)
    assert content_hash(first.layout.dimensions, first.rows) == content_hash(
        second.layout.dimensions, second.rows
    )
    values_of(shuffled)[0]["$"] = "1"
    third, _ = normalised(shuffled)
    assert content_hash(third.layout.dimensions, third.rows) != content_hash(
        first.layout.dimensions, first.rows
    )


def test_severities_can_be_changed_except_for_structural_checks() -> None:
    chosen = severities({"jump": "block", "unknown_region": "block", "undeclared_mark": "warn"})
    assert chosen[Check.JUMP] is Severity.BLOCK
    assert chosen[Check.UNDECLARED_MARK] is Severity.WARN
    with pytest.raises(ValueError, match="cannot be changed"):
        severities({"duplicate_cell": "warn"})


# -- through the pipeline -----------------------------------------------------------------------


async def test_a_blocked_run_publishes_nothing_and_alerts(
    api: Api, source: Source, platform, unique, alerts
) -> None:
    stats_data_id = unique("census-dup")
    source.copy("census-c01-1920-2015", stats_data_id)
    first = await api.ingest(stats_data_id)
    assert first["status"] == "succeeded"
    # Edit: the next version repeats a row.
    document = recorded("census-c01-1920-2015")
    values = values_of(document)
    set_values(document, [*values, dict(values[3])])
    source.put(stats_data_id, document)

    run = await api.ingest(stats_data_id)

    assert run["status"] == "blocked"
    assert run["error"]["code"] == "quality-blocked"
    assert [(q["check"], q["severity"], q["count"]) for q in run["quality"]] == [
        ("duplicate_cell", "block", 1)
    ]
    assert run["counts"]["blocking"] == 1
    assert run["version"] is None
    assert stats_version(platform, stats_data_id) == 1  # the last good version stays served
    alert = alerts.for_run(run["id"])
    assert alert["event"] == "ingest.run_blocked"
    assert alert["blocking_checks"][0]["check"] == "duplicate_cell"


async def test_a_warning_is_recorded_and_the_version_published(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("census-region")
    document = recorded("census-c01-1920-2015")
    # Edit: 北海道 recoded to 99000 (declared by the table, unknown to the platform).
    area = next(
        o for o in statistical_data(document)["CLASS_INF"]["CLASS_OBJ"] if o["@id"] == "area"
    )
    next(c for c in area["CLASS"] if c["@code"] == "01000")["@code"] = "99000"
    for value in values_of(document):
        if value["@area"] == "01000":
            value["@area"] = "99000"
    source.put(stats_data_id, document)

    run = await api.ingest(stats_data_id)

    assert run["status"] == "succeeded"
    assert run["counts"]["warnings"] == 1
    assert run["quality"][0]["check"] == "unknown_region"
    assert run["quality"][0]["severity"] == "warn"
    assert stats_version(platform, stats_data_id) == 1


async def test_a_jump_blocks_when_the_catalog_says_so(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("ssdse-b-jump")
    source.copy("ssdse-b-2023", stats_data_id)
    entry = {"stats_data_id": stats_data_id, "schedule": "manual", "quality": {"jump": "block"}}
    assert (await api.admin.post("/api/ingest/catalog", json=entry)).status_code == 201
    assert (await api.ingest(stats_data_id))["status"] == "succeeded"
    # Edit: Tokyo's fiscal-2020 population multiplied by ten.
    document = recorded("ssdse-b-2023")
    cell = tokyo_population(document)
    cell["$"] = str(int(cell["$"]) * 10)
    source.put(stats_data_id, document)

    run = await api.ingest(stats_data_id)

    assert run["status"] == "blocked"
    [finding] = run["quality"]
    assert (finding["check"], finding["severity"], finding["count"]) == ("jump", "block", 1)
    assert finding["samples"][0]["series"]["area"] == TOKYO
    assert stats_version(platform, stats_data_id) == 1
