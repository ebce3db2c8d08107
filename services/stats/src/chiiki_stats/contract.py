"""The payloads of docs/bus-contract.md that the stats service receives and sends."""

from __future__ import annotations

import re
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

MAX_BATCH_CELLS = 5000
DIMENSION_ID = re.compile(r"tab|area|time|cat(0[1-9]|1[0-5])")
StatsDataId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]

APPLY_BATCH = "stats.apply_batch"
PUBLISH_VERSION = "stats.publish_version"
VERSION_APPLIED = "ingest.version_applied"
VERSION_REJECTED = "ingest.version_rejected"
DATASET_UPDATED = "analytics.dataset_updated"


class _Payload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class BatchPayload(_Payload):
    run_id: UUID
    stats_data_id: StatsDataId
    batch_index: int = Field(ge=0)
    batch_count: int = Field(ge=1)
    dimensions: list[str] = Field(min_length=1)
    cells: list[list[str | None]] = Field(max_length=MAX_BATCH_CELLS)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.batch_index >= self.batch_count:
            raise ValueError(f"batch_index {self.batch_index} >= batch_count {self.batch_count}")
        bad = [dim for dim in self.dimensions if not DIMENSION_ID.fullmatch(dim)]
        if bad or len(set(self.dimensions)) != len(self.dimensions):
            raise ValueError(f"dimensions must be distinct e-Stat dimension ids, got {bad}")
        width = len(self.dimensions) + 3
        for number, cell in enumerate(self.cells):
            if len(cell) != width:
                raise ValueError(f"cell {number} has {len(cell)} fields, expected {width}")
            if any(code is None for code in cell[: len(self.dimensions)]):
                raise ValueError(f"cell {number} lacks a dimension code")
        return self


class ClassItem(_Payload):
    code: Code
    name: str
    level: str | None = None
    parent_code: str | None = None
    unit: str | None = None


class ClassInfo(_Payload):
    id: str
    name: str
    items: list[ClassItem]


class Note(_Payload):
    mark: str = Field(min_length=1, max_length=16)
    meaning: str


class TableInfo(_Payload):
    title: str = ""
    statistics_name: str = ""
    organisation: str = ""
    survey_date: str | int | None = None
    open_date: str | None = None
    updated_date: str | None = None
    attribution: str = "出典：政府統計の総合窓口(e-Stat)"


class PublishPayload(_Payload):
    run_id: UUID
    stats_data_id: StatsDataId
    content_hash: str = Field(min_length=1, max_length=80)
    batch_count: int = Field(ge=1)
    cell_count: int = Field(ge=0)
    table: TableInfo
    classes: list[ClassInfo]
    notes: list[Note] = []

    @model_validator(mode="after")
    def _classes(self) -> Self:
        ids = [item.id for item in self.classes]
        bad = [dim for dim in ids if not DIMENSION_ID.fullmatch(dim)]
        if bad or len(set(ids)) != len(ids):
            raise ValueError(f"classes must have distinct e-Stat dimension ids, got {ids}")
        return self


def rejection(payload: dict[str, Any], reason: str) -> dict[str, Any]:
    return {
        "run_id": str(payload.get("run_id")),
        "stats_data_id": payload.get("stats_data_id"),
        "reason": reason,
    }
