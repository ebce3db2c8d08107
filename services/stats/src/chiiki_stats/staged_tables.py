"""A run's staged batches read back as one table and checked before it is written: columns
(``stats.apply_batch`` versions 1 and 2) decoded and checked in Python, or COPY rows (version 3)
loaded into the transaction's temporary tables and checked there (``staged_rows``). Either way a
table whose codes, values or cells cannot make a version raises ``Rejected``.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from chiiki_shared.contracts import BatchColumns, ClassInfo
from chiiki_shared.contracts.copyrows import copy_rows
from chiiki_stats import staged_rows
from chiiki_stats.periods import InvalidPeriod, Period

logger = structlog.get_logger(__name__)

NON_SERIES_DIMENSIONS = frozenset({"area", "time"})


class Rejected(Exception):
    """The run cannot become a version; ``reason`` goes back to ingest."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


SeriesKey = tuple[tuple[str, str], ...]


@dataclass
class ParsedTable:
    """The cells of a version as columns, ready to write: ``series`` (by key, with label, unit
    and order) numbered as in ``keys``; per cell its series number, area, time, unit, value."""

    series: dict[SeriesKey, dict[str, Any]]
    keys: list[SeriesKey]
    columns: BatchColumns
    periods: list[Period | None]  # per entry of ``columns.times``
    values: list[Decimal | None]


def staged_batch(
    dimensions: Sequence[str], columns: bytes | None, cells: Sequence[Sequence[Any]]
) -> BatchColumns:
    """A staged batch's columns; a row staged before there were columns holds version 1 cells."""
    if columns is None:
        return BatchColumns.from_cells(dimensions, cells)
    decoded = BatchColumns.decode(columns)
    decoded.check(dimensions)
    return decoded


def parse_columns(
    dimensions: Sequence[str], classes: Sequence[ClassInfo], batches: Sequence[BatchColumns]
) -> ParsedTable:
    items = _class_items(dimensions, classes)
    columns = _merge(batches)
    series_dims = [dim for dim in dimensions if dim not in NON_SERIES_DIMENSIONS]
    _check_codes(
        dimensions,
        classes,
        items,
        {dim: _codes_used(columns, series_dims, dim) for dim in dimensions},
    )
    values = _values(columns.value_text, columns.mark)
    keys = [tuple(zip(series_dims, codes, strict=True)) for codes in columns.series]
    # Each series takes the unit of its first cell (when its class items name none).
    first_units = dict(
        zip(reversed(columns.series_index), reversed(columns.unit_index), strict=True)
    )
    series = {
        key: _series_info(key, items, columns.units[first_units[number]])
        for number, key in enumerate(keys)
    }
    # Cells are told apart by (series number, area, time).
    areas = columns.area_index if "area" in dimensions else itertools.repeat(0)
    times = columns.time_index if "time" in dimensions else itertools.repeat(0)
    if len(set(zip(columns.series_index, areas, times, strict=False))) != columns.cell_count:
        raise Rejected("some cells repeat the same codes")
    periods = [_period(time_code) for time_code in columns.times]
    return ParsedTable(series, keys, columns, periods, values)


Items = dict[str, dict[str, tuple[int, Any]]]


def _class_items(dimensions: Sequence[str], classes: Sequence[ClassInfo]) -> Items:
    """Per dimension, its class items by code (with their position)."""
    by_id = {info.id: info for info in classes}
    missing = [dim for dim in dimensions if dim not in by_id]
    if missing:
        raise Rejected(f"cells use dimensions without a class: {', '.join(missing)}")
    return {
        dim: {item.code: (position, item) for position, item in enumerate(by_id[dim].items)}
        for dim in dimensions
    }


def _check_codes(
    dimensions: Sequence[str],
    classes: Sequence[ClassInfo],
    items: Items,
    used: dict[str, set[str]],
) -> None:
    """Every code the cells use is in its class; area and time codes fit their columns."""
    for dim in dimensions:
        unknown = used[dim] - items[dim].keys()
        if unknown:
            raise Rejected(f"codes not in the {dim} class: {', '.join(sorted(unknown)[:5])}")
    by_id = {info.id: info for info in classes}
    for dim in ("area", "time"):
        too_long = (
            [item.code for item in by_id[dim].items if len(item.code) > 16] if dim in by_id else []
        )
        if too_long:
            raise Rejected(f"{dim} codes longer than 16 characters: {', '.join(too_long[:5])}")


@dataclass
class RowsTable:
    """A version staged as COPY rows (``stats.apply_batch`` version 3), loaded and checked in the
    transaction's temporary tables: its ``series`` as in ``ParsedTable``, numbered as in
    ``keys``; the periods of its time codes; the Decimal of each unusual value text by cell."""

    series: dict[SeriesKey, dict[str, Any]]
    keys: list[SeriesKey]
    entries: list[tuple[int, int, int]]  # (batch, entry in its series, series number)
    periods: dict[str, Period | None]
    values: list[tuple[int, Decimal]]


async def parse_rows(
    session: AsyncSession,
    dimensions: Sequence[str],
    classes: Sequence[ClassInfo],
    staged: Sequence[Any],
) -> RowsTable:
    items = _class_items(dimensions, classes)
    batches = [_rows_batch(dimensions, row) for row in staged]
    try:
        async with session.begin_nested():  # a COPY that fails is undone alone
            loaded = await staged_rows.load(session, batches)
    except staged_rows.BadRows as exc:
        raise Rejected(str(exc)) from None
    series_dims = [dim for dim in dimensions if dim not in NON_SERIES_DIMENSIONS]
    used = {dim: {codes[at] for codes in loaded.keys} for at, dim in enumerate(series_dims)}
    for dim, codes in (("area", loaded.areas), ("time", loaded.times)):
        if None in codes:
            raise Rejected(f"cells without a {dim} code")
        if dim in dimensions:
            used[dim] = {code for code in codes if code is not None}
        elif codes - {""}:
            raise Rejected(f"{dim} codes in a table without {dim}")
    _check_codes(dimensions, classes, items, used)
    values = _unusual_values(loaded.unusual_values, loaded.first_with_mark)
    keys = [tuple(zip(series_dims, codes, strict=True)) for codes in loaded.keys]
    series = {
        key: _series_info(key, items, loaded.first_units.get(number))
        for number, key in enumerate(keys)
    }
    periods = {code: _period(code) for code in loaded.times if code is not None}
    return RowsTable(series, keys, loaded.entries, periods, values)


def _rows_batch(dimensions: Sequence[str], row: Any) -> staged_rows.Batch:
    """A staged batch as COPY rows; a version 1 or 2 batch of the same run is turned into them."""
    if row.rows is not None:
        text = zlib.decompress(row.rows)
        return staged_rows.Batch(row.batch_index, row.series, text, row.cell_count)
    columns = staged_batch(dimensions, row.columns, row.cells)
    series, text = copy_rows(dimensions, _cells_of(dimensions, columns))
    return staged_rows.Batch(row.batch_index, series, text, columns.cell_count)


def _cells_of(dimensions: Sequence[str], columns: BatchColumns) -> list[list[str | None]]:
    """Version 1's cells (dimension codes..., value, mark, unit) from version 2's columns."""
    count = columns.cell_count
    series_dims = iter(range(len(dimensions)))
    codes: list[Sequence[str]] = []
    for dim in dimensions:
        if dim == "area":
            codes.append([columns.areas[at] for at in columns.area_index])
        elif dim == "time":
            codes.append([columns.times[at] for at in columns.time_index])
        else:
            at = next(series_dims)
            codes.append([columns.series[number][at] for number in columns.series_index])
    units = [columns.units[at] for at in columns.unit_index]
    rows = zip(*codes, columns.value_text, columns.mark, units, strict=True)
    return [list(row) for row in rows] if count else []


def _unusual_values(
    texts: Sequence[tuple[int, str]], both: tuple[int, str] | None
) -> list[tuple[int, Decimal]]:
    """As ``_values`` for the value texts SQL does not read as plain decimals."""
    values = []
    for number, raw in texts:
        try:
            value = Decimal(raw)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            if both is None or number <= both[0]:
                _decimal(raw, number)
            break
        values.append((number, value))
    if both is not None:
        raise Rejected(f"cell {both[0]} has both a value and the mark {both[1]!r}")
    return values


def _codes_used(columns: BatchColumns, series_dims: list[str], dim: str) -> set[str]:
    if dim == "area":
        return set(columns.areas)
    if dim == "time":
        return set(columns.times)
    at = series_dims.index(dim)
    return {codes[at] for codes in columns.series}


def _merge(batches: Sequence[BatchColumns]) -> BatchColumns:
    """One table's columns from its batches: every batch's dictionaries merged into one."""
    if len(batches) == 1:
        return batches[0]
    merged: dict[str, Any] = {
        name: []
        for name in ("series_index", "area_index", "time_index", "unit_index", "value_text", "mark")
    }
    dictionaries: dict[str, dict[Any, int]] = {"series": {}, "areas": {}, "times": {}, "units": {}}
    for batch in batches:
        for name, index_name in (
            ("series", "series_index"),
            ("areas", "area_index"),
            ("times", "time_index"),
            ("units", "unit_index"),
        ):
            positions = dictionaries[name]
            entries = getattr(batch, name)
            if name == "series":
                entries = [tuple(codes) for codes in entries]
            remap = [positions.setdefault(entry, len(positions)) for entry in entries]
            merged[index_name].extend(map(remap.__getitem__, getattr(batch, index_name)))
        merged["value_text"].extend(batch.value_text)
        merged["mark"].extend(batch.mark)
    return BatchColumns.model_construct(
        series=[list(codes) for codes in dictionaries["series"]],
        areas=list(dictionaries["areas"]),
        times=list(dictionaries["times"]),
        units=list(dictionaries["units"]),
        **merged,
    )


def _values(texts: Sequence[str | None], marks: Sequence[str | None]) -> list[Decimal | None]:
    """Each value text as a Decimal; the first cell that is not a finite number or that has a
    value and a mark rejects the version (checked in cell order, as the cells came)."""
    try:
        values = [None if raw is None else Decimal(raw) for raw in texts]
        bad = next((n for n, v in enumerate(values) if v is not None and not v.is_finite()), None)
    except InvalidOperation:
        bad = next(n for n, raw in enumerate(texts) if raw is not None and not _is_decimal(raw))
    both = next(
        (
            n
            for n, (raw, mark) in enumerate(zip(texts, marks, strict=True))
            if raw is not None and mark is not None
        ),
        None,
    )
    if bad is not None and (both is None or bad <= both):
        _decimal(texts[bad], bad)
    if both is not None:
        raise Rejected(f"cell {both} has both a value and the mark {marks[both]!r}")
    return values


def _is_decimal(raw: str) -> bool:
    try:
        Decimal(raw)
    except InvalidOperation:
        return False
    return True


def _decimal(raw: Any, number: int) -> Decimal:
    try:
        value = Decimal(raw if isinstance(raw, str) else str(raw))
    except InvalidOperation:
        raise Rejected(f"cell {number}: value {raw!r} is not a decimal number") from None
    if not value.is_finite():
        raise Rejected(f"cell {number}: value {raw!r} is not finite")
    return value


def _period(time_code: str) -> Period | None:
    if not time_code:
        return None
    try:
        return Period.from_estat(time_code)
    except InvalidPeriod:
        logger.info("time_code_not_interpreted", time_code=time_code)
        return None


def _series_info(
    key: SeriesKey,
    items: dict[str, dict[str, tuple[int, Any]]],
    cell_unit: str | None,
) -> dict[str, Any]:
    entries = [items[dim][code] for dim, code in key]
    class_units = [item.unit for _, item in entries if item.unit]
    return {
        "label": " / ".join(item.name for _, item in entries),
        "unit": class_units[0] if class_units else cell_unit,
        "order": tuple(position for position, _ in entries),
    }
