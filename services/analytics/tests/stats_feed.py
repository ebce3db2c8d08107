"""Feed the recorded tables to the stats service through its bus consumer, as ingest would.

The payloads are those of docs/bus-contract.md (``stats.apply_batch`` and
``stats.publish_version``), built from the complete e-Stat bodies recorded in
services/ingest/recordings/tables. A table already current in stats (same content hash) is not
published again.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chiiki_shared.db import session_scope
from chiiki_shared.runtime import Runtime

TABLES = Path(__file__).resolve().parents[3] / "services" / "ingest" / "recordings" / "tables"
ATTRIBUTION = {
    "ssdse-b-2023": "SSDSE（独立行政法人統計センター）",
    "census-c01-1920-2015": (
        "出典：政府統計の総合窓口(e-Stat)（総務省統計局「国勢調査」）を加工して作成"
    ),
}
BATCH = 5000
DIMENSIONS = ("tab", "cat01", "area", "time")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    return str(value.get("$", "")) if isinstance(value, dict) else str(value or "")


def messages(
    table: str, keep: Callable[[dict[str, str]], bool] = lambda _: True
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The batches and the publish payload of ``table``, with only the cells ``keep`` accepts."""
    data = json.loads(gzip.decompress((TABLES / f"{table}.json.gz").read_bytes()))
    body = data["GET_STATS_DATA"]["STATISTICAL_DATA"]
    notes = {_text(n.get("@char")): _text(n) for n in _list(body["DATA_INF"].get("NOTE") or [])}
    cells = []
    for value in _list(body["DATA_INF"]["VALUE"]):
        codes = {dim: value[f"@{dim}"] for dim in DIMENSIONS}
        if not keep(codes):
            continue
        raw = value["$"]
        number, mark = (None, raw) if raw in notes else (raw, None)
        cells.append([*codes.values(), number, mark, value.get("@unit")])
    run_id = str(uuid.uuid4())
    chunks = [cells[i : i + BATCH] for i in range(0, len(cells), BATCH)]
    batches = [
        {
            "run_id": run_id,
            "stats_data_id": table,
            "batch_index": index,
            "batch_count": len(chunks),
            "dimensions": list(DIMENSIONS),
            "cells": chunk,
        }
        for index, chunk in enumerate(chunks)
    ]
    info = body["TABLE_INF"]
    digest = hashlib.sha256(json.dumps(sorted(cells, key=str)).encode()).hexdigest()
    publish = {
        "run_id": run_id,
        "stats_data_id": table,
        "content_hash": f"sha256:{digest}",
        "batch_count": len(chunks),
        "cell_count": len(cells),
        "table": {
            "title": _text(info.get("TITLE")),
            "statistics_name": _text(info.get("STATISTICS_NAME")),
            "organisation": _text(info.get("GOV_ORG")),
            "survey_date": str(info.get("SURVEY_DATE", "")),
            "attribution": ATTRIBUTION[table],
        },
        "classes": [
            {
                "id": obj["@id"],
                "name": obj["@name"],
                "items": [
                    {
                        "code": item["@code"],
                        "name": item["@name"],
                        "level": item.get("@level"),
                        "parent_code": item.get("@parentCode"),
                        "unit": item.get("@unit"),
                    }
                    for item in _list(obj["CLASS"])
                ],
            }
            for obj in _list(body["CLASS_INF"]["CLASS_OBJ"])
        ],
        "notes": [{"mark": mark, "meaning": meaning} for mark, meaning in notes.items()],
    }
    return batches, publish


async def publish(runtime: Runtime, batches: list[dict], payload: dict) -> tuple[str, list]:
    """Apply one version through stats' consumer; its status and the messages it would send."""
    from chiiki_stats import consumer

    for batch in batches:
        async with session_scope(runtime.sessions) as session:
            await consumer.stage_batch(session, batch)
    async with session_scope(runtime.sessions) as session:
        outcome = await consumer.publish_version(session, payload)
    return outcome.status, outcome.messages
