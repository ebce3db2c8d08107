"""A page read ahead: sent before it is asked for, answered once, retried and dropped like any."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from chiiki_ingest.estat import EStatClient

TABLE = "0003445099"
PAGE = {"start_position": 5001, "limit": 5000, "meta": False}


def _data_requests(replay) -> list[dict[str, Any]]:
    return replay.requests("getStatsData")


async def _until(condition, what: str, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0.02)


async def test_a_page_read_ahead_leaves_at_once_and_is_asked_for_once(client, replay):
    client.read_ahead_stats_data(TABLE, **PAGE)
    await _until(lambda: len(_data_requests(replay)) == 1, "the request left")

    page = await client.get_stats_data(TABLE, **PAGE)

    assert (page.from_number, page.to_number, page.next_key) == (5001, 10000, 10001)
    assert len(page.cells) == 5000
    [request] = _data_requests(replay)
    assert request["params"]["startPosition"] == "5001"
    assert request["params"]["metaGetFlg"] == "N"


async def test_a_read_ahead_that_failed_is_retried_like_any_first_attempt(client, replay):
    replay.faults({"kind": "status", "status": 503, "startPosition": "5001"})
    client.read_ahead_stats_data(TABLE, **PAGE)

    page = await client.get_stats_data(TABLE, **PAGE)

    assert len(page.cells) == 5000
    assert [e["fault"] for e in _data_requests(replay)] == ["status", None]


async def test_asking_for_another_page_drops_the_one_read_ahead(client, replay):
    replay.faults({"kind": "latency", "seconds": 30, "startPosition": "5001"})
    client.read_ahead_stats_data(TABLE, **PAGE)
    await _until(lambda: len(_data_requests(replay)) == 1, "the request left")

    page = await client.get_stats_data(TABLE, start_position=10001, limit=5000, meta=False)

    assert page.from_number == 10001
    # The dropped request's connection was closed: the replay saw its client hang up.
    await _until(lambda: _data_requests(replay)[0].get("http_status") == 499, "a hang-up")
    assert [e["params"]["startPosition"] for e in _data_requests(replay)] == ["5001", "10001"]


async def test_closing_the_client_cancels_its_read_ahead(replay, app_id):
    replay.faults({"kind": "latency", "seconds": 30})
    client = EStatClient(replay.api, app_id, timeout=60.0)
    tasks_before = asyncio.all_tasks()
    client.read_ahead_stats_data(TABLE, **PAGE)
    await _until(lambda: len(_data_requests(replay)) == 1, "the request left")

    started = time.monotonic()
    await client.aclose()

    assert time.monotonic() - started < 5
    assert asyncio.all_tasks() - tasks_before == set()  # nothing left running
    await _until(lambda: _data_requests(replay)[0].get("http_status") == 499, "a hang-up")
