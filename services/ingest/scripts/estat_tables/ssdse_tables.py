"""Shared pieces of the SSDSE-A and SSDSE-B tables: one tab, one cat01 per indicator column."""

from dataclasses import dataclass

from .response import ClassItem, ClassObj

SSDSE_STAT_NAME = ("ssdse", "教育用標準データセット（SSDSE）")
SSDSE_GOV_ORG = ("nstac", "独立行政法人統計センター")
# SSDS tables on e-Stat (e.g. 0000020202) have a single tab 00001 「観測値」.
OBSERVED_TAB = ClassObj("tab", "観測値", [ClassItem("00001", "観測値")])
TAB_CODE = "00001"


@dataclass(frozen=True)
class Indicator:
    column: int
    name: str
    code: str
    unit: str | None


def indicator_class(indicators: list[Indicator]) -> ClassObj:
    items = [ClassItem(ind.code, ind.name, unit=ind.unit) for ind in indicators]
    return ClassObj("cat01", "指標", items)


def area_code(ssdse_code: str) -> str:
    """SSDSE writes area codes as ``R`` + the 5-digit e-Stat code (R01000 -> 01000)."""
    if len(ssdse_code) != 6 or not ssdse_code.startswith("R"):
        raise ValueError(f"unexpected SSDSE area code {ssdse_code!r}")
    return ssdse_code[1:]


def fiscal_year_code(year: str) -> str:
    return f"{int(year)}100000"


def fiscal_year_item(year: str) -> ClassItem:
    return ClassItem(fiscal_year_code(year), f"{int(year)}年度")
