"""The content hash and the bus messages that publish a version to stats (docs/bus-contract.md).

Rows are sent sorted by their codes, so a run that is resumed cuts the same batches again and a
re-sent batch replaces itself in stats' staging (keyed by ``run_id`` and ``batch_index``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from chiiki_ingest.cells import Content
from chiiki_ingest.estat import Dimension, TableInfo
from chiiki_ingest.quality import Row

APPLY_BATCH = "stats.apply_batch"
PUBLISH_VERSION = "stats.publish_version"
ESTAT_ATTRIBUTION = "出典：政府統計の総合窓口(e-Stat)"


class Bus(Protocol):
    """Sends one task by name with one JSON object (``celery_app.send_task`` underneath)."""

    def send(self, task: str, payload: dict[str, Any]) -> None: ...


def content_hash(dimensions: Sequence[str], sorted_rows: Sequence[Row]) -> str:
    """``sha256:`` of the dimension ids and every sorted row, one JSON array per line.

    It covers only what stats stores as cells, so the same numbers give the same hash whatever the
    page size, the order e-Stat sent them in or the day they were fetched.
    """
    digest = hashlib.sha256()
    digest.update(_line(list(dimensions)))
    for row in sorted_rows:
        digest.update(_line(row))
    return f"sha256:{digest.hexdigest()}"


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def batch_count(cells: int, size: int) -> int:
    return max(1, -(-cells // size))


def batches(sorted_rows: Sequence[Row], size: int, start: int = 0) -> Iterator[tuple[int, list]]:
    """(batch_index, cells) from batch ``start`` on."""
    for index in range(start, batch_count(len(sorted_rows), size)):
        yield index, [list(row) for row in sorted_rows[index * size : (index + 1) * size]]


def apply_batch_message(
    *,
    run_id: str,
    stats_data_id: str,
    batch_index: int,
    batch_count: int,
    dimensions: Sequence[str],
    cells: list[list[Any]],
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "stats_data_id": stats_data_id,
        "batch_index": batch_index,
        "batch_count": batch_count,
        "dimensions": list(dimensions),
        "cells": cells,
    }


def publish_version_message(
    *,
    run_id: str,
    stats_data_id: str,
    content_hash: str,
    batch_count: int,
    content: Content,
    attribution: str | None,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "stats_data_id": stats_data_id,
        "content_hash": content_hash,
        "batch_count": batch_count,
        "cell_count": len(content.rows),
        "table": table_message(content.table, attribution),
        "classes": [class_message(dimension) for dimension in content.dimensions],
        "notes": [{"mark": mark, "meaning": meaning} for mark, meaning in content.notes.items()],
    }


def table_message(table: TableInfo | None, attribution: str | None) -> dict[str, Any]:
    """TABLE_INF as the contract's ``table``; texts e-Stat left out are empty, dates ISO."""

    def iso(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "title": (table.title if table else "") or "",
        "statistics_name": (table.statistics_name if table else "") or "",
        "organisation": (table.gov_org if table else "") or "",
        "survey_date": table.survey_date if table else None,
        "open_date": iso(table.open_date) if table else None,
        "updated_date": iso(table.updated_date) if table else None,
        "attribution": attribution or ESTAT_ATTRIBUTION,
    }


def class_message(dimension: Dimension) -> dict[str, Any]:
    return {
        "id": dimension.id,
        "name": dimension.name,
        "items": [
            {
                "code": item.code,
                "name": item.name,
                "level": None if item.level is None else str(item.level),
                "parent_code": item.parent_code,
                "unit": item.unit,
            }
            for item in dimension.items
        ],
    }
