"""e-Stat time codes read as typed periods.

Ten-digit codes are `YYYY` + a two-digit kind (`00` calendar, `10` fiscal) + first and last month:
`2020000000` the year 2020, `2020100000` fiscal 2020, `2024000101` January 2024, `2024000103` the
first quarter, `2024000106` the first half. Some tables use a bare year (`2016`); `YYYYMM` is read
as a month. Anything else is kept with kind `unknown`. The original code is always kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

PeriodKind = Literal["year", "month", "quarter", "half", "months", "unknown"]


@dataclass(frozen=True)
class Period:
    code: str
    kind: PeriodKind
    year: int | None = None
    fiscal: bool = False
    start_month: int | None = None
    end_month: int | None = None

    @property
    def month(self) -> int | None:
        return self.start_month if self.kind == "month" else None

    @property
    def quarter(self) -> int | None:
        """1-4, counted from January, or from April for fiscal codes."""
        if self.kind != "quarter" or self.start_month is None:
            return None
        return self._months_into_year() // 3 + 1

    @property
    def half(self) -> int | None:
        """1-2, counted from January, or from April for fiscal codes."""
        if self.kind != "half" or self.start_month is None:
            return None
        return self._months_into_year() // 6 + 1

    def _months_into_year(self) -> int:
        first = 4 if self.fiscal else 1
        return ((self.start_month or first) - first) % 12


@lru_cache(maxsize=4096)
def parse_period(code: str) -> Period:
    if len(code) == 4 and code.isdigit():
        return Period(code, "year", int(code))
    if len(code) == 6 and code.isdigit() and 1 <= int(code[4:]) <= 12:
        month = int(code[4:])
        return Period(code, "month", int(code[:4]), start_month=month, end_month=month)
    if len(code) == 10 and code.isdigit() and code[4:6] in ("00", "10"):
        return _ten_digit(code)
    return Period(code, "unknown")


def _ten_digit(code: str) -> Period:
    year, fiscal = int(code[:4]), code[4:6] == "10"
    first, last = int(code[6:8]), int(code[8:10])
    if first == last == 0:
        return Period(code, "year", year, fiscal)
    if not (1 <= first <= 12 and 1 <= last <= 12):
        return Period(code, "unknown", year, fiscal)
    return Period(code, _span_kind(first, last), year, fiscal, first, last)


def _span_kind(first: int, last: int) -> PeriodKind:
    if first == last:
        return "month"
    if last - first == 2 and first % 3 == 1:
        return "quarter"
    if last - first == 5 and first in (1, 4, 7, 10):
        return "half"
    return "months"
