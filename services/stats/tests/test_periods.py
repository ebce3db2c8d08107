"""Periods: e-Stat time codes and the API's human forms."""

import pytest

from chiiki_stats.periods import (
    ANNUAL_KINDS,
    InvalidPeriod,
    Period,
    PeriodKind,
    YearSpan,
    parse_year,
)

CY, FY, Q, M = (
    PeriodKind.CALENDAR_YEAR,
    PeriodKind.FISCAL_YEAR,
    PeriodKind.QUARTER,
    PeriodKind.MONTH,
)


@pytest.mark.parametrize(
    ("code", "period", "human", "label"),
    [
        ("2020000000", Period(CY, 2020), "2020", "2020年"),
        ("2020100000", Period(FY, 2020), "FY2020", "2020年度"),
        ("2024000101", Period(M, 2024, 1), "2024-01", "2024年1月"),
        ("2024001212", Period(M, 2024, 12), "2024-12", "2024年12月"),
        ("2024000103", Period(Q, 2024, 1), "2024Q1", "2024年1～3月期"),
        ("2024001012", Period(Q, 2024, 4), "2024Q4", "2024年10～12月期"),
    ],
)
def test_estat_codes_round_trip(code: str, period: Period, human: str, label: str) -> None:
    assert Period.from_estat(code) == period
    assert period.to_estat() == code
    assert str(period) == human
    assert Period.parse(human) == period
    assert Period.parse(code) == period
    assert period.label_ja == label


def test_four_digit_codes_are_calendar_years() -> None:
    # getMetaInfo of 0004021110 uses "2016" for 2016年10月1日現在.
    assert Period.from_estat("2016") == Period(CY, 2016)


@pytest.mark.parametrize("text", ["cy2020", "CY2020", "fy2020", "2020q1", "2020-Q1"])
def test_human_forms_ignore_case(text: str) -> None:
    assert Period.parse(text).year == 2020


@pytest.mark.parametrize(
    "text", ["", "20", "2020-13", "2020Q5", "FY20", "2020/03", "abcd", "20201000000", "1700"]
)
def test_malformed_periods_are_refused(text: str) -> None:
    with pytest.raises(InvalidPeriod):
        Period.parse(text)


@pytest.mark.parametrize("code", ["2020000203", "2020200000", "20200000X0", "2020100103"])
def test_codes_this_service_does_not_interpret(code: str) -> None:
    with pytest.raises(InvalidPeriod):
        Period.from_estat(code)


def test_sub_periods_are_checked() -> None:
    with pytest.raises(InvalidPeriod):
        Period(M, 2020, 13)
    with pytest.raises(InvalidPeriod):
        Period(CY, 2020, 1)


def test_sorting_puts_calendar_before_fiscal_year() -> None:
    periods = [Period(FY, 2020), Period(M, 2020, 3), Period(CY, 2020), Period(CY, 2019)]
    assert [str(p) for p in sorted(periods, key=lambda p: p.sort_key)] == [
        "2019",
        "2020",
        "FY2020",
        "2020-03",
    ]


def test_years_select_calendar_and_fiscal_unless_prefixed() -> None:
    assert parse_year("2020") == (2020, ANNUAL_KINDS)
    assert parse_year("FY2020") == (2020, frozenset({FY}))
    assert parse_year("CY2020") == (2020, frozenset({CY}))
    assert parse_year("2020100000") == (2020, frozenset({FY}))
    with pytest.raises(InvalidPeriod, match="not a year"):
        parse_year("2020Q1")
    assert list(YearSpan(2018, 2020).years) == [2018, 2019, 2020]
