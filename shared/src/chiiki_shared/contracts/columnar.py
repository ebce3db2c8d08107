"""``stats.apply_batch`` version 2: a batch's cells as columns (docs/bus-contract.md).

Version 1 sends every cell as a JSON array of texts, which both ends then walk cell by cell (the
pydantic model, Celery's JSON, stats' JSONB staging and its decode). Version 2 sends the same
cells as columns: the distinct series codes, areas, times and units once each with one index per
cell, and the values as e-Stat wrote them. The columns travel as one zlib-compressed JSON
document in base64 (Celery's JSON carries text only), which stats stages as it came.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)

from chiiki_shared.contracts.base import BusMessage, describe
from chiiki_shared.contracts.publishing import (
    ApplyBatch,
    Code,
    StatsDataId,
    check_batch_header,
)

# Bigger than version 1's 5,000: the cost per batch (a task, a staged row, a progress row) is
# what columns do not shrink.
MAX_COLUMNAR_BATCH_CELLS = 50_000
NON_SERIES = ("area", "time")
Index = Annotated[int, Field(ge=0)]


class BatchColumns(BaseModel):
    """The cells of one batch as columns, each per-cell column ``cell_count`` long.

    ``series`` lists the distinct codes of the series dimensions (every dimension but area and
    time, in the batch's order); ``areas``, ``times`` and ``units`` the distinct area codes, time
    codes and units. The ``*_index`` columns point into them, one entry per cell; ``area_index``
    and ``time_index`` are empty when the table has no such dimension.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    series: list[list[Code]] = Field(description="The distinct codes of the series dimensions.")
    series_index: list[Index] = Field(description="Per cell: its entry in `series`.")
    areas: list[Code] = Field(default=[], description="The distinct area codes.")
    area_index: list[Index] = Field(default=[], description="Per cell: its entry in `areas`.")
    times: list[Code] = Field(default=[], description="The distinct time codes.")
    time_index: list[Index] = Field(default=[], description="Per cell: its entry in `times`.")
    units: list[str | None] = Field(description="The distinct units (null: none).")
    unit_index: list[Index] = Field(description="Per cell: its entry in `units`.")
    value_text: list[str | None] = Field(
        description="Per cell: the value as e-Stat wrote it (decimal text), or null."
    )
    mark: list[str | None] = Field(description="Per cell: its mark, or null.")

    @property
    def cell_count(self) -> int:
        return len(self.value_text)

    @classmethod
    def from_cells(cls, dimensions: Sequence[str], cells: Sequence[Sequence[Any]]) -> BatchColumns:
        """Version 1's cells (dimension codes..., value, mark, unit) as columns."""
        width = len(dimensions)
        columns = list(zip(*cells, strict=True)) if cells else [()] * (width + 3)
        series_at = [at for at, dim in enumerate(dimensions) if dim not in NON_SERIES]
        if series_at:
            keys: list[tuple[Any, ...]] = list(zip(*(columns[at] for at in series_at), strict=True))
        else:
            keys = [()] * len(cells)
        series, series_index = _dictionary(keys)
        parts: dict[str, Any] = {}
        for dim in NON_SERIES:
            if dim in dimensions:
                codes, index = _dictionary(columns[dimensions.index(dim)])
                parts[f"{dim}s"], parts[f"{dim}_index"] = codes, index
        units, unit_index = _dictionary(columns[width + 2])
        return cls.model_construct(
            series=[list(key) for key in series],
            series_index=series_index,
            units=units,
            unit_index=unit_index,
            value_text=list(columns[width]),
            mark=list(columns[width + 1]),
            **parts,
        )

    def check(self, dimensions: Sequence[str]) -> None:
        """Raise ``ValueError`` unless the columns fit ``dimensions`` and each other."""
        count = self.cell_count
        lengths = {
            "series_index": len(self.series_index),
            "unit_index": len(self.unit_index),
            "mark": len(self.mark),
            "area_index": len(self.area_index) if "area" in dimensions else count,
            "time_index": len(self.time_index) if "time" in dimensions else count,
        }
        wrong = {name: length for name, length in lengths.items() if length != count}
        if wrong:
            raise ValueError(f"columns of {count} cells, but {wrong}")
        for dim in NON_SERIES:
            if dim not in dimensions and getattr(self, f"{dim}_index"):
                raise ValueError(f"{dim}_index given for a table without {dim}")
        width = sum(1 for dim in dimensions if dim not in NON_SERIES)
        if any(len(codes) != width for codes in self.series):
            raise ValueError(f"every series must have {width} codes")
        for name, index, size in (
            ("series_index", self.series_index, len(self.series)),
            ("area_index", self.area_index, len(self.areas)),
            ("time_index", self.time_index, len(self.times)),
            ("unit_index", self.unit_index, len(self.units)),
        ):
            if index and max(index) >= size:
                raise ValueError(f"{name} points past its {size} entries")

    def compress(self) -> bytes:
        """The zlib-compressed JSON, as stats stages it (level 1: the text is mostly digits)."""
        return zlib.compress(self.model_dump_json().encode(), 1)

    def encode(self) -> str:
        """The wire form: base64 of the zlib-compressed JSON."""
        return base64.b64encode(self.compress()).decode("ascii")

    @classmethod
    def decode(cls, compressed: bytes) -> BatchColumns:
        """The columns from the zlib-compressed JSON (as stats stages it); validated."""
        return cls.model_validate_json(zlib.decompress(compressed))


def _dictionary(values: Sequence[Any]) -> tuple[list[Any], list[int]]:
    """The distinct values in order of first appearance, and each value's position among them."""
    positions: dict[Any, int] = {}
    for value in values:
        if value not in positions:
            positions[value] = len(positions)
    return list(positions), [positions[value] for value in values]


class ApplyBatchColumns(BusMessage):
    """One batch of a run's cells as columns; stats stages it under (``run_id``,
    ``batch_index``) like version 1."""

    TASK: ClassVar[str] = ApplyBatch.TASK
    VERSION: ClassVar[int] = 2

    schema_version: Literal[2] = Field(  # type: ignore[assignment]
        2, description="The version of this message's shape."
    )
    run_id: UUID = Field(description="The ingest run; names the staged version.")
    stats_data_id: StatsDataId = Field(description="The e-Stat table (or recorded table) id.")
    batch_index: int = Field(ge=0, description="0 .. batch_count-1.")
    batch_count: int = Field(ge=1, description="How many batches the run sends.")
    dimensions: list[str] = Field(
        min_length=1, description="e-Stat dimension ids, the same order in every batch."
    )
    cell_count: int = Field(
        ge=0, le=MAX_COLUMNAR_BATCH_CELLS, description="How many cells the columns hold."
    )
    columns: str = Field(
        description="`BatchColumns` as JSON, zlib-compressed, in base64 (see "
        "chiiki_shared.contracts.columnar)."
    )
    _decoded: BatchColumns | None = PrivateAttr(None)

    @classmethod
    def of(cls, *, columns: BatchColumns, **fields: Any) -> ApplyBatchColumns:
        """The message carrying ``columns`` (validated as the receiver will)."""
        return cls(cell_count=columns.cell_count, columns=columns.encode(), **fields)

    def compressed(self) -> bytes:
        """The columns as stats stages them: zlib-compressed JSON."""
        return base64.b64decode(self.columns, validate=True)

    def decoded(self) -> BatchColumns:
        if self._decoded is None:
            self._decoded = BatchColumns.decode(self.compressed())
        return self._decoded

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_batch_header(self.batch_index, self.batch_count, self.dimensions)
        try:
            columns = self.decoded()
        except ValidationError as exc:
            raise ValueError(f"columns: {describe(exc)}") from None
        except (ValueError, zlib.error) as exc:  # not base64, not zlib, not JSON
            raise ValueError(f"columns cannot be decoded: {_first_line(exc)}") from None
        columns.check(self.dimensions)
        if columns.cell_count != self.cell_count:
            raise ValueError(f"columns hold {columns.cell_count} cells, not {self.cell_count}")
        return self


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:200]
