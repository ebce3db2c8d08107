"""Issue #12: a value keeps the text e-Stat published it with ("142.0", not 142) from the page,
over the bus, into stats' observations and out of its JSON and CSV answers."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from chiiki_devstack.pytest_plugin import serve_app

from .conftest import Api, Source

SCHOOL = (
    Path(__file__).resolve().parents[2]
    / "recordings"
    / "raw"
    / "getStatsData_v3.0_0003146500_school_health_raw.json"
)

# 0003146500 (school health survey) as recorded: 260 cells, 27 of them written with a trailing
# ".0" (e.g. "139.0"), none with a mark.
DIMENSIONS = ("tab", "cat01", "cat02", "cat03", "cat04", "area", "time")


@pytest.fixture(scope="module")
async def stats_api(bus_env: dict[str, str]) -> AsyncIterator[httpx.AsyncClient]:
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app

    app = create_app(
        StatsSettings(anonymous_read=True, REDIS_KEY_PREFIX=bus_env["REDIS_KEY_PREFIX"])
    )
    async with serve_app(app) as client:
        yield client


def published_texts(document: dict[str, Any]) -> dict[tuple[str, ...], str]:
    """Each cell's codes (in DIMENSIONS order) -> its `$`, read straight from the recording."""
    values = document["GET_STATS_DATA"]["STATISTICAL_DATA"]["DATA_INF"]["VALUE"]
    return {tuple(value[f"@{dim}"] for dim in DIMENSIONS): value["$"] for value in values}


async def observations(client: httpx.AsyncClient, stats_data_id: str, **params: str) -> Any:
    """The dataset's cells once stats' web process knows the version (it learns of it from
    PostgreSQL's notification, a moment after the worker committed)."""
    path = f"/api/datasets/{stats_data_id}/observations"
    deadline = time.monotonic() + 30
    while True:
        response = await client.get(path, params={"limit": "1000", **params})
        if response.status_code != 404:
            assert response.status_code == 200, response.text
            return response
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} still 404: {response.text}")
        await asyncio.sleep(0.2)


async def test_stats_serves_values_as_estat_wrote_them(
    api: Api, source: Source, stats_api: httpx.AsyncClient, unique
) -> None:
    stats_data_id = unique("school-health")
    texts = published_texts(
        source.put(stats_data_id, json.loads(SCHOOL.read_text(encoding="utf-8")))
    )
    trailing = {key: text for key, text in texts.items() if text.endswith(".0")}
    assert len(texts) == 260
    assert len(trailing) == 27

    run = await api.ingest(stats_data_id)
    assert (run["status"], run["outcome"]) == ("succeeded", "published"), run

    answer = (await observations(stats_api, stats_data_id)).json()
    assert len(answer["items"]) == 260
    assert answer["next"] is None
    served = {tuple(item[dim] for dim in DIMENSIONS): item for item in answer["items"]}
    assert {key: item["value_text"] for key, item in served.items()} == texts
    for key, text in trailing.items():
        # The number stays a number: JSON shows "139.0" as 139, and its text beside it.
        assert served[key]["value"] == int(Decimal(text)), (key, served[key])
        assert served[key]["mark"] is None
    assert all(
        Decimal(item["value_text"]) == Decimal(str(item["value"])) for item in served.values()
    )

    table = (await observations(stats_api, stats_data_id, format="csv")).text
    rows = list(csv.DictReader(io.StringIO(table)))
    assert len(rows) == 260
    assert {tuple(row[dim] for dim in DIMENSIONS): row["value_text"] for row in rows} == texts
    key, text = next(iter(sorted(trailing.items())))
    row = next(row for row in rows if tuple(row[dim] for dim in DIMENSIONS) == key)
    assert (row["value"], row["value_text"]) == (str(int(Decimal(text))), text)
    assert json.dumps(text) in json.dumps(answer)
