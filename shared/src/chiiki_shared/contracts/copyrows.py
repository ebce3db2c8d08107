"""``stats.apply_batch`` version 3: a batch's cells as PostgreSQL COPY text (docs/bus-contract.md).

Version 2 still has stats build one Python record per cell to COPY them. Version 3 sends the rows
in the form PostgreSQL reads itself: one line per cell, ``series<TAB>area<TAB>time<TAB>value<TAB>
mark<TAB>unit``, in COPY's text format (``\\N`` for null, backslash escapes), where ``series`` is
the cell's entry in the batch's ``series`` list (the distinct codes of the series dimensions) and
area or time is empty when the table has no such dimension. The text travels zlib-compressed in
base64 (Celery's JSON carries text only); stats stages it as it came and checks the cells set-wise
in SQL when it applies the version, so neither side looks at a cell in Python on the way.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence
from typing import Any, ClassVar, Literal, Self
from uuid import UUID

from pydantic import Field, PrivateAttr, model_validator

from chiiki_shared.contracts.base import BusMessage
from chiiki_shared.contracts.columnar import (
    MAX_COLUMNAR_BATCH_CELLS,
    NON_SERIES,
    ApplyBatchColumns,
)
from chiiki_shared.contracts.publishing import ApplyBatch, Code, StatsDataId, check_batch_header

NULL = "\\N"
# COPY's text format: these characters in a field are written as backslash escapes.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_field(value: str | None) -> str:
    """One field in COPY's text format."""
    if value is None:
        return NULL
    return value.translate(_ESCAPES)


def copy_rows(
    dimensions: Sequence[str], cells: Sequence[Sequence[Any]]
) -> tuple[list[list[str]], bytes]:
    """Version 1's cells (dimension codes..., value, mark, unit) as the distinct series codes and
    the COPY text of the rows. Built a column at a time with C-level maps and joins: no Python
    per cell."""
    width = len(dimensions)
    columns = list(zip(*cells, strict=True)) if cells else [()] * (width + 3)
    series_at = [at for at, dim in enumerate(dimensions) if dim not in NON_SERIES]
    keys: Sequence[tuple[Any, ...]] = (
        list(zip(*(columns[at] for at in series_at), strict=True))
        if series_at
        else [()] * len(cells)
    )
    series = list(dict.fromkeys(keys))
    numbers = {key: str(number) for number, key in enumerate(series)}
    fields = [list(map(numbers.__getitem__, keys))]
    for dim in NON_SERIES:
        fields.append(
            _texts(columns[dimensions.index(dim)]) if dim in dimensions else [""] * len(cells)
        )
    fields.extend(_texts(columns[at]) for at in (width, width + 1, width + 2))
    lines = "\n".join(map("\t".join, zip(*fields, strict=True)))
    return [list(key) for key in series], (lines + "\n" if cells else "").encode()


def _texts(column: Sequence[str | None]) -> list[str]:
    """A column's fields in COPY's text format."""
    present = [text for text in column if text is not None]
    joined = "".join(present)
    if any(char in joined for char in "\\\t\n\r"):
        return list(map(copy_field, column))
    if len(present) == len(column):
        return list(column)  # type: ignore[arg-type]
    return [NULL if text is None else text for text in column]


class ApplyBatchRows(BusMessage):
    """One batch of a run's cells as COPY text; stats stages it under (``run_id``,
    ``batch_index``) like versions 1 and 2."""

    TASK: ClassVar[str] = ApplyBatch.TASK
    VERSION: ClassVar[int] = 3

    schema_version: Literal[3] = Field(  # type: ignore[assignment]
        3, description="The version of this message's shape."
    )
    run_id: UUID = Field(description="The ingest run; names the staged version.")
    stats_data_id: StatsDataId = Field(description="The e-Stat table (or recorded table) id.")
    batch_index: int = Field(ge=0, description="0 .. batch_count-1.")
    batch_count: int = Field(ge=1, description="How many batches the run sends.")
    dimensions: list[str] = Field(
        min_length=1, description="e-Stat dimension ids, the same order in every batch."
    )
    cell_count: int = Field(
        ge=0, le=MAX_COLUMNAR_BATCH_CELLS, description="How many cells (lines) the rows hold."
    )
    series: list[list[Code]] = Field(
        description="The distinct codes of the series dimensions (every dimension but area and "
        "time, in the batch's order); a row's first field is its entry here."
    )
    rows: str = Field(
        description="One line per cell: series entry, area, time, value (decimal text as e-Stat "
        "wrote it), mark, unit; PostgreSQL COPY text format, zlib-compressed, in base64."
    )
    _text: bytes | None = PrivateAttr(None)

    @classmethod
    def of(cls, *, cells: Sequence[Sequence[Any]], **fields: Any) -> ApplyBatchRows:
        """The message carrying ``cells`` (version 1's shape) as COPY text."""
        series, text = copy_rows(fields["dimensions"], cells)
        rows = base64.b64encode(zlib.compress(text, 1)).decode("ascii")
        return cls(cell_count=len(cells), series=series, rows=rows, **fields)

    def compressed(self) -> bytes:
        """The rows as stats stages them: zlib-compressed COPY text."""
        return base64.b64decode(self.rows, validate=True)

    def text(self) -> bytes:
        if self._text is None:
            self._text = zlib.decompress(self.compressed())
        return self._text

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_batch_header(self.batch_index, self.batch_count, self.dimensions)
        width = sum(1 for dim in self.dimensions if dim not in NON_SERIES)
        if any(len(codes) != width for codes in self.series):
            raise ValueError(f"every series must have {width} codes")
        try:
            text = self.text()
        except (ValueError, zlib.error) as exc:  # not base64, not zlib
            raise ValueError(f"rows cannot be decoded: {str(exc).splitlines()[0][:200]}") from None
        # Only line ends are raw newlines in COPY text (a newline in a field is escaped).
        if text and not text.endswith(b"\n"):
            raise ValueError("rows must end with a line end")
        lines = text.count(b"\n")
        if lines != self.cell_count:
            raise ValueError(f"rows hold {lines} lines, not {self.cell_count}")
        return self


def receive_apply_batch(raw: Any) -> ApplyBatch | ApplyBatchColumns | ApplyBatchRows:
    """``raw`` validated as the ``stats.apply_batch`` version it names (1 when it names none);
    raises ``ValidationError``."""
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if version == ApplyBatchRows.VERSION:
        return ApplyBatchRows.model_validate(raw)
    if version == ApplyBatchColumns.VERSION:
        return ApplyBatchColumns.model_validate(raw)
    return ApplyBatch.model_validate(raw)
