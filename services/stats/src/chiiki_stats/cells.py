"""A value of one indicator for one region and exact period, with where it comes from."""

from __future__ import annotations

from dataclasses import dataclass

from chiiki_stats.periods import Period, PeriodKind

PUBLISHED, DERIVED, SUMMED = "published", "derived", "sum_of_prefectures"
_KIND_RANK = {PeriodKind.CALENDAR_YEAR: 0, PeriodKind.FISCAL_YEAR: 1}


@dataclass(frozen=True, slots=True)
class Cell:
    value: float | None
    mark: str | None
    period: Period
    time_code: str
    sources: tuple[str, ...]
    method: str
    priority: int
    summed: bool = False

    @property
    def rank_key(self) -> tuple[bool, bool, int, int]:
        return (self.value is None, self.summed, self.priority, _KIND_RANK.get(self.period.kind, 9))
