"""Periods as stats labels them: ``"2020"`` (calendar year) or ``"FY2020"`` (fiscal year).

Analytics models years as integers; every period it answers carries stats' label beside the
integer ``year``, as stats' own points do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

PERIOD_DOC = 'As stats labels it: "2020" (calendar year) or "FY2020" (fiscal year)'


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
