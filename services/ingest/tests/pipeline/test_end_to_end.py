"""Tables from e-Stat pages into stats, compared cell by cell with the source table."""

from __future__ import annotations

import pytest

from chiiki_shared.contracts import MAX_COLUMNAR_BATCH_CELLS

from .conftest import (
    PAGE_SIZE,
    Api,
    Source,
    assert_same_cells,
    recorded,
    source_cells,
    stats_cells,
    stats_version,
)


@pytest.mark.parametrize(
    ("recorded_id", "pages"),
    [
        # 2,880 cells, 沖縄県 1945 as the mark "-", the unit on the tab class.
        ("census-c01-1920-2015", 1),
        # 16,344 cells over 4,086 areas (codes with letters such as 0120B), "-" marks.
        ("0003445099", 1),
        # 61,476 cells: four pages of 20,000 following NEXT_KEY.
        ("ssdse-b-2023", 4),
    ],
)
async def test_a_table_arrives_in_stats_exactly(
    api: Api, source: Source, platform, unique, recorded_id: str, pages: int
) -> None:
    stats_data_id = unique(recorded_id)
    document = source.copy(recorded_id, stats_data_id)

    run = await api.ingest(stats_data_id)

    assert run["status"] == "succeeded", run
    assert run["outcome"] == "published"
    cells = source_cells(document)
    assert run["counts"]["cells"] == len(cells)
    assert run["counts"]["pages"] == pages == -(-len(cells) // PAGE_SIZE)
    assert run["counts"]["batches"] == -(-len(cells) // MAX_COLUMNAR_BATCH_CELLS)
    assert run["version"] == stats_version(platform, stats_data_id) == 1
    assert_same_cells(cells, stats_cells(platform, stats_data_id))


async def test_run_detail_reports_progress_counts_and_timings(
    api: Api, source: Source, unique
) -> None:
    stats_data_id = unique("ssdse-b")
    source.copy("ssdse-b-2023", stats_data_id)

    run = await api.ingest(stats_data_id)

    progress = run["progress"]
    assert progress["pages_fetched"] == 4
    assert progress["cells_fetched"] == progress["cells_total"] == 61476
    assert progress["fetched_percent"] == progress["published_percent"] == 100.0
    # 61,476 cells in batches of 50,000 (stats.apply_batch version 2's most).
    assert progress["batches_sent"] == progress["batch_count"] == 2
    timings = run["timings"]
    for name in ("fetch_seconds", "check_seconds", "publish_seconds", "apply_seconds"):
        assert timings[name] >= 0, name
    assert timings["started_at"] <= timings["published_at"] <= timings["finished_at"]
    assert run["content_hash"].startswith("sha256:")
    assert run["quality"] == []
    assert run["error"] is None
    assert run["source_url"] == source.api
    assert "appId" not in run["source_url"]


async def test_a_transient_source_error_is_retried_within_the_run(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("census-503")
    document = source.copy("census-c01-1920-2015", stats_data_id)
    source.faults({"kind": "status", "status": 503, "statsDataId": stats_data_id, "count": 1})

    run = await api.ingest(stats_data_id)

    assert run["status"] == "succeeded", run
    answers = [r["http_status"] for r in source.requests(stats_data_id)]
    assert answers == [503, 200]
    assert_same_cells(source_cells(document), stats_cells(platform, stats_data_id))


async def test_filters_narrow_the_published_version(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("census-tokyo")
    document = source.copy("census-c01-1920-2015", stats_data_id)

    run = await api.ingest(stats_data_id, filters={"cdArea": ["13000", "27000"]})

    assert run["status"] == "succeeded", run
    assert run["filters"] == {"cdArea": ["13000", "27000"]}
    expected = {k: v for k, v in source_cells(document).items() if k[-2] in ("13000", "27000")}
    assert len(expected) == 2 * 3 * 20
    assert_same_cells(expected, stats_cells(platform, stats_data_id))


def test_recorded_tables_are_untouched_by_the_tests() -> None:
    # The tests edit copies only; the recordings keep their documented sizes.
    sizes = {name: len(source_cells(recorded(name))) for name in ("census-c01-1920-2015",)}
    assert sizes == {"census-c01-1920-2015": 2880}
