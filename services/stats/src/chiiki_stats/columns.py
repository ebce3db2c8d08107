"""One source's published values of one exact period over the regions of a level, compactly.

A held value used to be a ``Cell`` in a list in a dict per region and year: about 700 bytes
each. A column keeps what its values share once (period, time code, source, priority) and the
values in an ``array('d')`` with one place per region of the level: 8 bytes a value. A place
without a row is NaN; the few rows whose value is not an ordinary number (a missing value, or a
stored NaN) are kept aside, with the marks, in small dicts.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chiiki_stats.cells import PUBLISHED, Cell
from chiiki_stats.periods import Period, stored_period

NO_ROW = math.nan
_NO_VALUE = object()


@dataclass(frozen=True, slots=True)
class Column:
    period: Period
    time_code: str
    sources: tuple[str, ...]
    priority: int
    values: array[float]
    odd: Mapping[int, float | None] = field(default_factory=dict)  # place -> None or NaN
    marks: Mapping[int, str] = field(default_factory=dict)

    def cell(self, place: int) -> Cell | None:
        """The region at ``place`` as a ``Cell``; ``None`` if it has no row in this column."""
        value: float | None = self.values[place]
        if value != value:  # NaN: no row, unless the row's value is None or NaN
            found = self.odd.get(place, _NO_VALUE)
            if found is _NO_VALUE:
                return None
            value = found  # type: ignore[assignment]
        return Cell(
            value,
            self.marks.get(place),
            self.period,
            self.time_code,
            self.sources,
            PUBLISHED,
            self.priority,
        )


def value_of(row: Any) -> float | None:
    """A stored value times its source's scale, as a float."""
    if row.value is None:
        return None
    scaled: Decimal = row.value * row.scale if row.scale is not None else row.value
    return float(scaled)


class Builder:
    """One indicator's rows (``repository.indicator_rows``) of the regions in ``positions`` as
    columns, a row at a time. Two rows of one region and column key (which the catalog's
    priorities rule out) go to two columns, so no row is lost."""

    def __init__(self, positions: Mapping[str, int]) -> None:
        self._positions = positions
        self._built: dict[tuple[Any, ...], list[Column]] = {}
        self.rows = 0

    def add(self, row: Any) -> None:
        key = (
            row.period_kind,
            row.period_year,
            row.period_sub,
            row.priority,
            row.time_code,
            row.dataset_id,
        )
        place = self._positions[row.region_code]
        columns = self._built.setdefault(key, [])
        column = next((c for c in columns if not _taken(c, place)), None)
        if column is None:
            period = stored_period(row.period_kind, row.period_year, row.period_sub)
            values = array("d", [NO_ROW]) * len(self._positions)
            column = Column(period, row.time_code, (row.dataset_id,), row.priority, values, {}, {})
            columns.append(column)
        _put(column, place, value_of(row), row.mark)
        self.rows += 1

    def columns(self) -> list[Column]:
        """The columns built, in a fixed order (the rows' order is the database's)."""
        return [column for key in sorted(self._built) for column in self._built[key]]


def columns_of(rows: Iterable[Any], positions: Mapping[str, int]) -> list[Column]:
    """``rows`` as columns (``Builder``)."""
    builder = Builder(positions)
    for row in rows:
        builder.add(row)
    return builder.columns()


def _taken(column: Column, place: int) -> bool:
    value = column.values[place]
    return value == value or place in column.odd


def _put(column: Column, place: int, value: float | None, mark: str | None) -> None:
    if value is None or value != value:
        column.odd[place] = value  # type: ignore[index]
    else:
        column.values[place] = value
    if mark is not None:
        column.marks[place] = mark  # type: ignore[index]
