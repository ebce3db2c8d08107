"""Idempotence: unchanged content makes no new version, one run per dataset at a time (the
admission index and the advisory lock), and redelivered or duplicated tasks change nothing."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa

from chiiki_ingest import runs
from chiiki_ingest.locks import dataset_lock, is_locked
from chiiki_ingest.models import DatasetVersion, Run
from chiiki_shared.db import session_scope

from .conftest import (
    Api,
    Source,
    Workers,
    assert_same_cells,
    recorded,
    source_cells,
    stats_cells,
    stats_version,
    values_of,
)


async def versions_of(api: Api, stats_data_id: str) -> list[DatasetVersion]:
    async with session_scope(api.runtime.sessions) as session:
        rows = await session.scalars(
            sa.select(DatasetVersion).where(DatasetVersion.stats_data_id == stats_data_id)
        )
        return list(rows)


async def test_unchanged_content_creates_no_new_version(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("census-same")
    source.copy("census-c01-1920-2015", stats_data_id)
    first = await api.ingest(stats_data_id)
    # The same table served again, byte for byte, from a rewritten file.
    source.copy("census-c01-1920-2015", stats_data_id)

    second = await api.ingest(stats_data_id)

    assert (first["outcome"], second["outcome"]) == ("published", "unchanged")
    assert second["status"] == "succeeded"
    assert second["content_hash"] == first["content_hash"]
    assert second["version"] == first["version"] == stats_version(platform, stats_data_id) == 1
    assert second["counts"]["batches"] is None  # nothing was sent
    assert len(await versions_of(api, stats_data_id)) == 1


async def test_changed_content_makes_the_next_version(
    api: Api, source: Source, platform, unique
) -> None:
    stats_data_id = unique("census-next")
    source.copy("census-c01-1920-2015", stats_data_id)
    first = await api.ingest(stats_data_id)
    # Edit: the next edition drops the 1920 census (as a revised table might).
    document = recorded("census-c01-1920-2015")
    values = [v for v in values_of(document) if v["@time"] != "1920000000"]
    document["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"] = values
    document["GET_STATS_DATA"]["STATISTICAL_DATA"]["RESULT_INF"]["TOTAL_NUMBER"] = len(values)
    source.put(stats_data_id, document)

    second = await api.ingest(stats_data_id)

    assert second["outcome"] == "published"
    assert second["content_hash"] != first["content_hash"]
    assert second["version"] == stats_version(platform, stats_data_id) == 2
    assert_same_cells(source_cells(document), stats_cells(platform, stats_data_id))


async def test_one_queued_or_running_run_per_dataset(api: Api, source: Source, unique) -> None:
    stats_data_id = unique("census-lock")
    source.copy("census-c01-1920-2015", stats_data_id)
    # Slow the source down so the first run is still going when the second is asked for.
    source.faults({"kind": "latency", "seconds": 2, "statsDataId": stats_data_id})

    first = await api.run(stats_data_id)
    response = await api.admin.post("/api/ingest/runs", json={"stats_data_id": stats_data_id})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "active-run-exists"
    assert body["active_run_id"] == first
    assert (await api.wait(first))["status"] == "succeeded"
    # Once it is over, the next run is admitted.
    assert (await api.ingest(stats_data_id))["outcome"] == "unchanged"


async def test_the_admission_index_holds_without_the_api(api: Api, unique) -> None:
    stats_data_id = unique("raw-lock")
    async with session_scope(api.runtime.sessions) as session:
        first = await runs.create(session, stats_data_id, trigger="test")
        with pytest.raises(runs.ActiveRunExists) as refused:
            await runs.create(session, stats_data_id, trigger="test")
        assert refused.value.run_id == first.id
        await runs.fail(session, first.id, "test", "cleaning up")


async def test_a_run_held_by_another_worker_is_left_alone_then_resumed(
    api: Api, source: Source, workers: Workers, platform, unique
) -> None:
    stats_data_id = unique("census-held")
    document = source.copy("census-c01-1920-2015", stats_data_id)
    # Another process holds the dataset's lock (as a live worker on another host would).
    async with dataset_lock(api.runtime.engine, stats_data_id) as held:
        assert held
        assert await is_locked(api.runtime.engine, stats_data_id)
        async with dataset_lock(api.runtime.engine, stats_data_id) as second:
            assert not second  # the lock is exclusive, even within one process
        run_id = await api.run(stats_data_id)
        await workers.until_logged("ingest", "ingest.run_locked", run_id)
        detail = (await api.admin.get(f"/api/ingest/runs/{run_id}")).json()
        assert (detail["status"], detail["attempt"]) == ("queued", 0)
        assert source.requests(stats_data_id) == []
    assert not await is_locked(api.runtime.engine, stats_data_id)

    # The queued run is re-sent by the recovery task once INGEST_QUEUED_TIMEOUT_SECONDS passed.
    await api.until_silent_for(run_id, float(workers.env["INGEST_QUEUED_TIMEOUT_SECONDS"]))
    workers.send("ingest.recover_runs", {})
    run = await api.wait(run_id)

    assert (run["status"], run["attempt"]) == ("succeeded", 1)
    assert_same_cells(source_cells(document), stats_cells(platform, stats_data_id))


async def test_a_duplicated_task_changes_nothing(
    api: Api, source: Source, workers: Workers, platform, unique
) -> None:
    stats_data_id = unique("census-twice")
    document = source.copy("census-c01-1920-2015", stats_data_id)
    run_id = await api.run(stats_data_id)
    # The same task delivered twice more (a redelivery, a recovery that raced the first).
    for _ in range(2):
        workers.send("ingest.run_ingestion", {"run_id": run_id})

    run = await api.wait(run_id)
    await asyncio.sleep(1)

    assert (run["status"], run["attempt"]) == ("succeeded", 1)
    assert len(await versions_of(api, stats_data_id)) == 1
    assert stats_version(platform, stats_data_id) == 1
    assert_same_cells(source_cells(document), stats_cells(platform, stats_data_id))
    # stats' answer delivered again changes nothing either.
    workers.send(
        "ingest.version_applied",
        {"run_id": run_id, "stats_data_id": stats_data_id, "version": 1, "cell_count": 2880},
    )
    await asyncio.sleep(1)
    again = (await api.admin.get(f"/api/ingest/runs/{run_id}")).json()
    assert again["finished_at"] == run["finished_at"]


async def test_an_answer_for_an_unknown_run_is_ignored(api: Api, workers: Workers) -> None:
    run_id = str(uuid.uuid4())
    workers.send(
        "ingest.version_rejected", {"run_id": run_id, "stats_data_id": "x", "reason": "test"}
    )
    await asyncio.sleep(1)
    async with session_scope(api.runtime.sessions) as session:
        assert await session.get(Run, uuid.UUID(run_id)) is None
