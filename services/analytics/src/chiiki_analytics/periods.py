"""Periods as stats labels them: ``"2020"`` (calendar year) or ``"FY2020"`` (fiscal year).

Analytics models years as integers; every period it answers carries stats' label beside the
integer ``year``, as stats' own points do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

PERIOD_DOC = 'As stats labels it: "2020" (calendar year) or "FY2020" (fiscal year)'
PeriodKind = Literal["calendar_year", "fiscal_year"]
PERIOD_KINDS_DOC = (
    "The kinds of year the series' periods are: one entry, or both when the series mixes "
    "calendar and fiscal years"
)


class LabelledPoint(BaseModel):
    period: str = Field(description=PERIOD_DOC, examples=["FY2020"])
    year: int
    value: float


def label(year: int, known: Mapping[int, str]) -> str:
    """Stats' label of ``year``; a year stats did not label (a forecast) takes the kind of the
    latest labelled year before it."""
    if year in known:
        return known[year]
    earlier = [y for y in known if y < year]
    fiscal = bool(earlier) and known[max(earlier)].startswith("FY")
    return f"FY{year}" if fiscal else str(year)


def labelled(
    years: Sequence[int], values: Sequence[float], known: Mapping[int, str]
) -> list[LabelledPoint]:
    return [
        LabelledPoint(period=label(year, known), year=year, value=float(value))
        for year, value in zip(years, values, strict=True)
    ]


def kinds(labels: Iterable[str]) -> list[PeriodKind]:
    """The kinds of year among ``labels``, calendar first."""
    found = {"fiscal_year" if text.startswith("FY") else "calendar_year" for text in labels}
    ordered: list[PeriodKind] = ["calendar_year", "fiscal_year"]
    return [kind for kind in ordered if kind in found]
