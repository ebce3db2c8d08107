"""Publishing a dataset version, ingest -> stats -> ingest (docs/bus-contract.md)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from chiiki_shared.contracts.base import BusMessage

MAX_BATCH_CELLS = 5000
ESTAT_ATTRIBUTION = "出典：政府統計の総合窓口(e-Stat)"
DIMENSION_ID = re.compile(r"tab|area|time|cat(0[1-9]|1[0-5])")
StatsDataId = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")]
Code = Annotated[str, StringConstraints(min_length=1, max_length=32)]
# dimension codes..., value (the decimal text e-Stat wrote: "142.0" stays so; or null), mark, unit
Cell = list[str | None]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_batch_header(batch_index: int, batch_count: int, dimensions: Sequence[str]) -> None:
    """What every version of ``stats.apply_batch`` checks first: its place in the run, and
    distinct e-Stat dimension ids."""
    if batch_index >= batch_count:
        raise ValueError(f"batch_index {batch_index} >= batch_count {batch_count}")
    bad = [dim for dim in dimensions if not DIMENSION_ID.fullmatch(dim)]
    if bad or len(set(dimensions)) != len(dimensions):
        raise ValueError(f"dimensions must be distinct e-Stat dimension ids, got {bad}")


class ApplyBatch(BusMessage):
    """One batch of a run's cells; stats stages it under (``run_id``, ``batch_index``)."""

    TASK: ClassVar[str] = "stats.apply_batch"

    run_id: UUID = Field(description="The ingest run; names the staged version.")
    stats_data_id: StatsDataId = Field(description="The e-Stat table (or recorded table) id.")
    batch_index: int = Field(ge=0, description="0 .. batch_count-1.")
    batch_count: int = Field(ge=1, description="How many batches the run sends.")
    dimensions: list[str] = Field(
        min_length=1, description="e-Stat dimension ids, the same order in every batch."
    )
    cells: list[Cell] = Field(
        max_length=MAX_BATCH_CELLS,
        description="Each: the dimension codes, then value (the decimal text as e-Stat wrote it, "
        "or null), mark, unit.",
    )

    def payload(self) -> dict[str, Any]:
        """As ``model_dump(mode="json")``, built directly: the cells are already JSON (strings
        and nulls), and walking 5,000 of them through the serialiser cost 10 ms a batch."""
        return {
            "schema_version": self.schema_version,
            "run_id": str(self.run_id),
            "stats_data_id": self.stats_data_id,
            "batch_index": self.batch_index,
            "batch_count": self.batch_count,
            "dimensions": self.dimensions,
            "cells": self.cells,
        }

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_batch_header(self.batch_index, self.batch_count, self.dimensions)
        width = len(self.dimensions) + 3
        for number, cell in enumerate(self.cells):
            if len(cell) != width:
                raise ValueError(f"cell {number} has {len(cell)} fields, expected {width}")
            if any(code is None for code in cell[: len(self.dimensions)]):
                raise ValueError(f"cell {number} lacks a dimension code")
        return self


class ClassItem(_Part):
    """One item of a dimension (CLASS)."""

    code: Code = Field(description="The code cells use.")
    name: str = Field(description="Its name, as e-Stat gives it.")
    level: str | None = Field(None, description="Its level in the hierarchy.")
    parent_code: str | None = Field(None, description="The code of its parent item.")
    unit: str | None = Field(None, description="The unit of values under it.")


class ClassInfo(_Part):
    """One dimension of the table (CLASS_OBJ)."""

    id: str = Field(description="The e-Stat dimension id: tab, cat01..cat15, area, time.")
    name: str = Field(description="Its name.")
    items: list[ClassItem] = Field(description="Every item, in e-Stat's order.")


class Note(_Part):
    """A mark a cell may carry instead of a value (NOTE)."""

    mark: str = Field(min_length=1, max_length=16, description="The mark, e.g. ``-``.")
    meaning: str = Field(description="What it means, as the table says.")


class TableInfo(_Part):
    """The table's description (TABLE_INF); texts e-Stat left out are empty."""

    title: str = Field("", description="The table's title.")
    statistics_name: str = Field("", description="The statistics it belongs to.")
    organisation: str = Field("", description="The government organisation.")
    survey_date: str | int | None = Field(None, description="As e-Stat gives it.")
    open_date: str | None = Field(None, description="ISO date it was published.")
    updated_date: str | None = Field(None, description="ISO date it was last updated.")
    attribution: str = Field(ESTAT_ATTRIBUTION, description="The credit the terms require.")


class PublishVersion(BusMessage):
    """Sent once after every batch: turn the staged batches into the dataset's next version."""

    TASK: ClassVar[str] = "stats.publish_version"

    run_id: UUID = Field(description="The run whose batches make the version.")
    stats_data_id: StatsDataId = Field(description="The dataset.")
    content_hash: str = Field(
        min_length=1, max_length=80, description="Of the normalised cells; equal = same content."
    )
    batch_count: int = Field(ge=1, description="How many batches were sent.")
    cell_count: int = Field(ge=0, description="How many cells all batches hold.")
    table: TableInfo = Field(description="TABLE_INF: title, dates, attribution.")
    classes: list[ClassInfo] = Field(description="Every dimension with its items (CLASS_INF).")
    notes: list[Note] = Field(default=[], description="The marks the table's NOTE declares.")

    @model_validator(mode="after")
    def _classes(self) -> Self:
        ids = [item.id for item in self.classes]
        bad = [dim for dim in ids if not DIMENSION_ID.fullmatch(dim)]
        if bad or len(set(ids)) != len(ids):
            raise ValueError(f"classes must have distinct e-Stat dimension ids, got {ids}")
        return self


class VersionApplied(BusMessage):
    """Stats' answer: the run's content is the dataset's current version."""

    TASK: ClassVar[str] = "ingest.version_applied"

    run_id: UUID = Field(description="The run that was applied.")
    stats_data_id: StatsDataId = Field(description="The dataset.")
    version: int = Field(ge=1, description="The dataset's version holding the run's content.")
    cell_count: int = Field(ge=0, description="How many cells stats applied.")
    applied_at: AwareDatetime = Field(description="When that version became current (UTC).")

    @classmethod
    def of(
        cls, run_id: UUID, stats_data_id: str, version: int, cell_count: int, at: datetime
    ) -> VersionApplied:
        """Times to the second, as the contract shows them."""
        return cls(
            run_id=run_id,
            stats_data_id=stats_data_id,
            version=version,
            cell_count=cell_count,
            applied_at=at.replace(microsecond=0),
        )


class VersionRejected(BusMessage):
    """Stats' answer: the run cannot become a version; the dataset keeps its current one."""

    TASK: ClassVar[str] = "ingest.version_rejected"

    run_id: UUID = Field(description="The run that was refused.")
    stats_data_id: str = Field(max_length=64, description="The dataset, as the run named it.")
    reason: str = Field(min_length=1, max_length=2000, description="Why, for the run's error.")
