"""Periods as values: calendar and fiscal years, quarters and months.

e-Stat writes a period as a 10-digit time code (``2020000000`` calendar year 2020, ``2020100000``
fiscal year 2020, ``2024000101`` January 2024, ``2024000103`` January-March 2024) or, in some
tables, as a bare year (``2016``). The API accepts those and human forms: ``2020``, ``CY2020``,
``FY2020``, ``2020Q1``, ``2020-03``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum


class PeriodKind(StrEnum):
    CALENDAR_YEAR = "calendar_year"
    FISCAL_YEAR = "fiscal_year"
    QUARTER = "quarter"
    MONTH = "month"


ANNUAL_KINDS = frozenset({PeriodKind.CALENDAR_YEAR, PeriodKind.FISCAL_YEAR})
# Within one year, a calendar year sorts before the fiscal year that starts in April.
_KIND_ORDER = {
    PeriodKind.CALENDAR_YEAR: 0,
    PeriodKind.FISCAL_YEAR: 1,
    PeriodKind.QUARTER: 2,
    PeriodKind.MONTH: 3,
}
_QUARTER_MONTHS = {1: "0103", 2: "0406", 3: "0709", 4: "1012"}
_QUARTER_BY_MONTHS = {months: quarter for quarter, months in _QUARTER_MONTHS.items()}

_ESTAT_CODE = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})")
_HUMAN = re.compile(
    r"(?:(?P<cy>CY)?(?P<year>\d{4})"
    r"|FY(?P<fy>\d{4})"
    r"|(?P<qy>\d{4})-?Q(?P<q>[1-4])"
    r"|(?P<my>\d{4})-(?P<m>\d{2}))",
    re.IGNORECASE,
)
MIN_YEAR, MAX_YEAR = 1800, 2200


class InvalidPeriod(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    year: int
    sub: int = 0  # the quarter (1-4) or month (1-12); 0 for years

    def __post_init__(self) -> None:
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise InvalidPeriod(f"year {self.year} is outside {MIN_YEAR}-{MAX_YEAR}")
        limits = {PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}
        highest = limits.get(self.kind, 0)
        if (highest and not 1 <= self.sub <= highest) or (not highest and self.sub):
            raise InvalidPeriod(f"{self.kind.value} {self.year} cannot have sub-period {self.sub}")

    @classmethod
    def from_estat(cls, code: str) -> Period:
        """The period of an e-Stat time code; ``InvalidPeriod`` for codes it cannot read."""
        if len(code) == 4 and code.isdigit():
            return cls(PeriodKind.CALENDAR_YEAR, int(code))
        match = _ESTAT_CODE.fullmatch(code)
        if not match:
            raise InvalidPeriod(f"{code!r} is not an e-Stat time code")
        year, flag, first, last = (int(part) for part in match.groups())
        months = code[6:]
        if flag == 0 and months == "0000":
            return cls(PeriodKind.CALENDAR_YEAR, year)
        if flag == 10 and months == "0000":
            return cls(PeriodKind.FISCAL_YEAR, year)
        if flag == 0 and first == last:
            return cls(PeriodKind.MONTH, year, first)
        if flag == 0 and months in _QUARTER_BY_MONTHS:
            return cls(PeriodKind.QUARTER, year, _QUARTER_BY_MONTHS[months])
        raise InvalidPeriod(f"{code!r} is an e-Stat time code this service does not interpret")

    @classmethod
    def parse(cls, text: str) -> Period:
        """A period from its human form (``2020``, ``FY2020``, ``2020Q1``, ``2020-03``) or its
        e-Stat time code (``2020100000``)."""
        text = text.strip()
        if len(text) == 10 and text.isdigit():
            return cls.from_estat(text)
        match = _HUMAN.fullmatch(text)
        if not match:
            raise InvalidPeriod(
                f"{text!r} is not a period (use 2020, FY2020, 2020Q1, 2020-03 or an e-Stat code)"
            )
        if match["year"]:
            return cls(PeriodKind.CALENDAR_YEAR, int(match["year"]))
        if match["fy"]:
            return cls(PeriodKind.FISCAL_YEAR, int(match["fy"]))
        if match["qy"]:
            return cls(PeriodKind.QUARTER, int(match["qy"]), int(match["q"]))
        return cls(PeriodKind.MONTH, int(match["my"]), int(match["m"]))

    @property
    def is_annual(self) -> bool:
        return self.kind in ANNUAL_KINDS

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, _KIND_ORDER[self.kind], self.sub)

    def to_estat(self) -> str:
        if self.kind is PeriodKind.CALENDAR_YEAR:
            return f"{self.year}000000"
        if self.kind is PeriodKind.FISCAL_YEAR:
            return f"{self.year}100000"
        if self.kind is PeriodKind.QUARTER:
            return f"{self.year}00{_QUARTER_MONTHS[self.sub]}"
        return f"{self.year}00{self.sub:02d}{self.sub:02d}"

    def __str__(self) -> str:
        return _text(self.kind, self.year, self.sub)

    @property
    def label_ja(self) -> str:
        if self.kind is PeriodKind.CALENDAR_YEAR:
            return f"{self.year}年"
        if self.kind is PeriodKind.FISCAL_YEAR:
            return f"{self.year}年度"
        if self.kind is PeriodKind.QUARTER:
            first, last = _QUARTER_MONTHS[self.sub][:2], _QUARTER_MONTHS[self.sub][2:]
            return f"{self.year}年{int(first)}～{int(last)}月期"
        return f"{self.year}年{self.sub}月"


# Cached: a municipal cross-section makes and prints hundreds of thousands of periods, of a few
# hundred distinct values.
@functools.cache
def _text(kind: PeriodKind, year: int, sub: int) -> str:
    if kind is PeriodKind.CALENDAR_YEAR:
        return str(year)
    if kind is PeriodKind.FISCAL_YEAR:
        return f"FY{year}"
    if kind is PeriodKind.QUARTER:
        return f"{year}Q{sub}"
    return f"{year}-{sub:02d}"


@functools.cache
def stored_period(kind: str, year: int, sub: int) -> Period:
    """The period of a stored observation's columns, made and checked once per value."""
    return Period(PeriodKind(kind), year, sub)


@dataclass(frozen=True, slots=True)
class YearSpan:
    """Which years an indicator query covers, and which kinds of annual period count.

    ``2020`` selects the year 2020 as each source publishes it (calendar or fiscal year: SSDSE
    tables label their years as fiscal years, the census tables as calendar years), ``CY2020``
    and ``FY2020`` select only that kind.
    """

    first: int
    last: int
    kinds: frozenset[PeriodKind] = ANNUAL_KINDS

    @property
    def years(self) -> range:
        return range(self.first, self.last + 1)

    def __str__(self) -> str:
        return f"{self.first}" if self.first == self.last else f"{self.first}-{self.last}"


def parse_year(text: str) -> tuple[int, frozenset[PeriodKind]]:
    """``2020`` -> (2020, calendar and fiscal); ``CY2020``, ``FY2020`` or an e-Stat year code
    (``2020100000``) -> that kind only."""
    text = text.strip()
    period = Period.parse(text)
    if not period.is_annual:
        raise InvalidPeriod(f"{text!r} is not a year (use 2020, CY2020 or FY2020)")
    if text.isdigit() and len(text) == 4:
        return period.year, ANNUAL_KINDS
    return period.year, frozenset({period.kind})
