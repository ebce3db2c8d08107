"""Bus payloads built from the recorded e-Stat tables with the contract's models
(``chiiki_shared.contracts``), as ingest builds them.

Tests (and the benchmark) use it to feed the stats service the way ingest does, without
importing ingest: parse a complete getStatsData body, cut its cells into batches of at most
5,000, and describe the table, its classes and notes for ``stats.publish_version``.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from chiiki_shared.contracts import (
    ApplyBatch,
    ApplyBatchColumns,
    ApplyBatchRows,
    BatchColumns,
    PublishVersion,
)

REPOSITORY = Path(__file__).resolve().parents[3]
TABLES = REPOSITORY / "services" / "ingest" / "recordings" / "tables"
CATALOG = (
    REPOSITORY / "services" / "stats" / "src" / "chiiki_stats" / "reference" / "indicators.yaml"
)
BATCH_SIZE = 5000
DIMENSION_ORDER = ("tab", *(f"cat{n:02d}" for n in range(1, 16)), "area", "time")
ESTAT = "出典：政府統計の総合窓口(e-Stat)"


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("$", ""))
    return "" if value is None else str(value)


@cache
def body(stats_data_id: str) -> dict[str, Any]:
    raw = gzip.decompress((TABLES / f"{stats_data_id}.json.gz").read_bytes())
    return json.loads(raw)["GET_STATS_DATA"]["STATISTICAL_DATA"]


@cache
def attributions() -> dict[str, str]:
    import yaml

    document = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    return {entry["id"]: entry["attribution"] for entry in document["datasets"]}


@dataclass(frozen=True)
class Table:
    stats_data_id: str
    dimensions: list[str]
    cells: list[list[str | None]]
    classes: list[dict[str, Any]]
    notes: list[dict[str, str]]
    table: dict[str, Any]

    @property
    def content_hash(self) -> str:
        normalised = json.dumps(sorted(self.cells, key=lambda cell: [str(c) for c in cell]))
        return "sha256:" + hashlib.sha256(normalised.encode()).hexdigest()

    def chunks(self, size: int) -> list[list[list[str | None]]]:
        """The cells cut into batches of ``size`` (one empty batch for a table without cells)."""
        return [self.cells[at : at + size] for at in range(0, len(self.cells), size)] or [[]]

    def batches(self, run_id: str, size: int = BATCH_SIZE) -> list[dict[str, Any]]:
        chunks = self.chunks(size)
        return [
            ApplyBatch(
                run_id=uuid.UUID(run_id),
                stats_data_id=self.stats_data_id,
                batch_index=index,
                batch_count=len(chunks),
                dimensions=self.dimensions,
                cells=chunk,
            ).payload()
            for index, chunk in enumerate(chunks)
        ]

    def column_batches(self, run_id: str, size: int = BATCH_SIZE) -> list[dict[str, Any]]:
        """The same batches as ``batches``, as ``stats.apply_batch`` version 2 (columns)."""
        chunks = self.chunks(size)
        return [
            ApplyBatchColumns.of(
                columns=BatchColumns.from_cells(self.dimensions, chunk),
                run_id=uuid.UUID(run_id),
                stats_data_id=self.stats_data_id,
                batch_index=index,
                batch_count=len(chunks),
                dimensions=self.dimensions,
            ).payload()
            for index, chunk in enumerate(chunks)
        ]

    def row_batches(self, run_id: str, size: int = BATCH_SIZE) -> list[dict[str, Any]]:
        """The same batches as ``batches``, as ``stats.apply_batch`` version 3 (COPY rows)."""
        chunks = self.chunks(size)
        return [
            ApplyBatchRows.of(
                cells=chunk,
                run_id=uuid.UUID(run_id),
                stats_data_id=self.stats_data_id,
                batch_index=index,
                batch_count=len(chunks),
                dimensions=self.dimensions,
            ).payload()
            for index, chunk in enumerate(chunks)
        ]

    def named(self, stats_data_id: str) -> Table:
        """The same cells as another dataset."""
        return Table(
            stats_data_id, self.dimensions, self.cells, self.classes, self.notes, self.table
        )

    def publish(self, run_id: str, batch_count: int) -> dict[str, Any]:
        return PublishVersion.model_validate(
            {
                "run_id": run_id,
                "stats_data_id": self.stats_data_id,
                "content_hash": self.content_hash,
                "batch_count": batch_count,
                "cell_count": len(self.cells),
                "table": self.table,
                "classes": self.classes,
                "notes": self.notes,
            }
        ).payload()

    def messages(
        self,
        run_id: str | None = None,
        size: int = BATCH_SIZE,
        *,
        columns: bool = False,
        rows: bool = False,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Every ``stats.apply_batch`` payload (version 2 with ``columns``, 3 with ``rows``) and
        the ``stats.publish_version`` payload."""
        run = run_id or str(uuid.uuid4())
        if rows:
            batches = self.row_batches(run, size)
        elif columns:
            batches = self.column_batches(run, size)
        else:
            batches = self.batches(run, size)
        return batches, self.publish(run, len(batches))

    def where(self, keep: Callable[[dict[str, str]], bool]) -> Table:
        """The same table with only the cells ``keep`` accepts (given {dimension: code})."""
        kept = [
            cell
            for cell in self.cells
            if keep(dict(zip(self.dimensions, cell[: len(self.dimensions)], strict=True)))
        ]
        return Table(
            self.stats_data_id, self.dimensions, kept, self.classes, self.notes, self.table
        )


@cache
def table(stats_data_id: str) -> Table:
    data = body(stats_data_id)
    info = data["TABLE_INF"]
    class_objects = _as_list(data["CLASS_INF"]["CLASS_OBJ"])
    present = {obj["@id"] for obj in class_objects}
    dimensions = [dim for dim in DIMENSION_ORDER if dim in present]
    marks = {
        _text(note.get("@char")): _text(note) for note in _as_list(data["DATA_INF"].get("NOTE"))
    }
    cells: list[list[str | None]] = []
    for value in _as_list(data["DATA_INF"]["VALUE"]):
        raw = value["$"]
        number, mark = (None, raw) if raw in marks or not _is_number(raw) else (raw, None)
        codes = [value[f"@{dim}"] for dim in dimensions]
        cells.append([*codes, number, mark, value.get("@unit")])
    classes = [
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
                for item in _as_list(obj["CLASS"])
            ],
        }
        for obj in class_objects
    ]
    title = info.get("TITLE")
    return Table(
        stats_data_id=stats_data_id,
        dimensions=dimensions,
        cells=cells,
        classes=classes,
        notes=[{"mark": mark, "meaning": meaning} for mark, meaning in marks.items()],
        table={
            "title": _text(title),
            "statistics_name": _text(info.get("STATISTICS_NAME")),
            "organisation": _text(info.get("GOV_ORG")),
            "survey_date": str(info.get("SURVEY_DATE", "")),
            "open_date": _text(info.get("OPEN_DATE")),
            "updated_date": _text(info.get("UPDATED_DATE")),
            "attribution": attributions().get(stats_data_id, ESTAT),
        },
    )


def _is_number(raw: str) -> bool:
    try:
        float(raw)
    except ValueError:
        return False
    return True


ALL_TABLES = (
    "0003445099",
    "census-c01-1920-2015",
    "census-0003410379",
    "census-0003410380",
    "census-2015-on-2020-areas",
    "census-japanese-2010-2015",
    "ssdse-b-2023",
    "ssdse-a-2023",
)


def all_messages(
    ids: Iterable[str] = ALL_TABLES,
) -> list[tuple[list[dict[str, Any]], dict[str, Any]]]:
    return [table(stats_data_id).messages() for stats_data_id in ids]


@cache
def _index(stats_data_id: str) -> dict[tuple[str, ...], list[str | None]]:
    recorded = table(stats_data_id)
    width = len(recorded.dimensions)
    return {tuple(cell[:width]): cell[width:] for cell in recorded.cells}


def cell(stats_data_id: str, **codes: str) -> tuple[str | None, str | None, str | None]:
    """(value, mark, unit) of one recorded cell, given every dimension's code."""
    recorded = table(stats_data_id)
    key = tuple(codes[dim] for dim in recorded.dimensions)
    value, mark, unit = _index(stats_data_id)[key]
    return value, mark, unit


def number(stats_data_id: str, **codes: str) -> float:
    """The recorded value of one cell as a number (it must have one)."""
    value, mark, _ = cell(stats_data_id, **codes)
    assert value is not None, f"{stats_data_id} {codes} is missing ({mark})"
    return float(value)
