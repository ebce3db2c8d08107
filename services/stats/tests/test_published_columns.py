"""Published values as columns (`chiiki_stats.columns`): every row comes back as the cell it was."""

import math
from decimal import Decimal
from typing import NamedTuple

from chiiki_stats.cells import PUBLISHED, Cell
from chiiki_stats.columns import columns_of
from chiiki_stats.periods import Period, PeriodKind

POSITIONS = {"01000": 0, "02000": 1, "03000": 2}


class Row(NamedTuple):
    region_code: str
    period_kind: str
    period_year: int
    period_sub: int
    time_code: str
    value: Decimal | None
    mark: str | None
    scale: Decimal | None = None
    priority: int = 1
    dataset_id: str = "census"


def cells_of(rows: list[Row]) -> list[list[Cell | None]]:
    columns = columns_of(rows, POSITIONS)
    return [[column.cell(place) for place in POSITIONS.values()] for column in columns]


def test_each_row_is_its_cell_and_a_region_without_a_row_has_none() -> None:
    rows = [
        Row("02000", "calendar_year", 2020, 0, "2020000000", None, "-"),
        Row("01000", "calendar_year", 2020, 0, "2020000000", Decimal("5224614"), None),
        Row(
            "01000",
            "fiscal_year",
            2020,
            0,
            "2020100000",
            Decimal("1.5"),
            "p",
            Decimal("1000"),
            2,
            "ssdse",
        ),
    ]
    calendar, fiscal = Period(PeriodKind.CALENDAR_YEAR, 2020), Period(PeriodKind.FISCAL_YEAR, 2020)
    assert cells_of(rows) == [
        [
            Cell(5224614.0, None, calendar, "2020000000", ("census",), PUBLISHED, 1),
            Cell(None, "-", calendar, "2020000000", ("census",), PUBLISHED, 1),
            None,
        ],
        [Cell(1500.0, "p", fiscal, "2020100000", ("ssdse",), PUBLISHED, 2), None, None],
    ]


def test_a_stored_nan_stays_a_value_and_zero_is_not_missing() -> None:
    rows = [
        Row("01000", "calendar_year", 2015, 0, "2015000000", Decimal("NaN"), None),
        Row("03000", "calendar_year", 2015, 0, "2015000000", Decimal("0"), None),
    ]
    (column,) = cells_of(rows)
    first, second, third = column
    assert first is not None
    assert first.value is not None
    assert math.isnan(first.value)
    assert second is None
    assert third is not None
    assert third.value == 0.0


def test_two_rows_of_one_region_and_key_are_both_kept() -> None:
    rows = [
        Row("01000", "calendar_year", 2020, 0, "2020000000", Decimal("1"), None),
        Row("01000", "calendar_year", 2020, 0, "2020000000", Decimal("2"), None),
    ]
    assert [[c.value if c else None for c in column] for column in cells_of(rows)] == [
        [1.0, None, None],
        [2.0, None, None],
    ]


def test_columns_come_in_a_fixed_order_whatever_the_rows_order() -> None:
    rows = [
        Row("01000", "fiscal_year", 2020, 0, "2020100000", Decimal("1"), None, None, 2, "b"),
        Row("01000", "calendar_year", 2021, 0, "2021000000", Decimal("2"), None),
        Row("01000", "calendar_year", 2020, 0, "2020000000", Decimal("3"), None),
    ]
    forward = [c.cell(0) for c in columns_of(rows, POSITIONS)]
    backward = [c.cell(0) for c in columns_of(rows[::-1], POSITIONS)]
    assert forward == backward
    assert [c.value for c in forward if c] == [3.0, 2.0, 1.0]
