"""An evenly spaced series of observations, the input of every model.

Periods are years (a fiscal or calendar year, or a census year); the spacing is constant (1 for
annual data, 5 for the census). Values are never interpolated: a series with a gap keeps only its
evenly spaced tail after the gap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from chiiki_analytics.forecasting.errors import PeriodOutOfRange


@dataclass(frozen=True)
class History:
    """Observed values at evenly spaced periods, with optional aligned component series."""

    periods: tuple[int, ...]
    values: np.ndarray
    # Sub-series observed at the same periods (e.g. population by age group); models that use
    # them say so, the others ignore them.
    components: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.periods) != len(self.values):
            raise ValueError("periods and values differ in length")
        steps = set(np.diff(self.periods).tolist())
        if len(steps) > 1 or (steps and min(steps) <= 0):
            raise ValueError("periods must be increasing and evenly spaced")
        for name, component in self.components.items():
            if len(component) != len(self.values):
                raise ValueError(f"component {name!r} is not aligned with the values")

    def __len__(self) -> int:
        return len(self.periods)

    @property
    def step(self) -> int:
        return self.periods[1] - self.periods[0] if len(self.periods) > 1 else 1

    @property
    def last_period(self) -> int:
        return self.periods[-1]

    def head(self, count: int) -> History:
        """The first ``count`` observations (what was known at that origin)."""
        return History(
            self.periods[:count],
            self.values[:count],
            {name: values[:count] for name, values in self.components.items()},
        )

    def until(self, period: int) -> History:
        """The observations up to and including ``period``."""
        if not self.periods or period < self.periods[0] or period > self.periods[-1]:
            raise PeriodOutOfRange(
                f"as_of {period} is outside the data ({self.periods[0]}-{self.periods[-1]})"
                if self.periods
                else "the series has no data"
            )
        return self.head(sum(1 for p in self.periods if p <= period))

    def future_periods(self, horizon: int) -> list[int]:
        return [self.last_period + self.step * h for h in range(1, horizon + 1)]

    def value_at(self, period: int) -> float | None:
        try:
            return float(self.values[self.periods.index(period)])
        except ValueError:
            return None


def evenly_spaced_tail(
    points: Mapping[int, float | None],
    components: Mapping[str, Mapping[int, float | None]] | None = None,
) -> History:
    """The longest evenly spaced run of observed values that ends at the last observation.

    Missing values and irregular spacing end the run: earlier observations are dropped rather than
    filled in. Components must be observed wherever the series is, or they are left out.
    """
    observed = sorted(p for p, v in points.items() if v is not None and np.isfinite(v))
    run = _tail_run(observed)
    values = np.array([points[p] for p in run], dtype=np.float64)
    aligned = {
        name: np.array([series[p] for p in run], dtype=np.float64)
        for name, series in (components or {}).items()
        if all(series.get(p) is not None for p in run)
    }
    return History(tuple(run), values, aligned)


def _tail_run(periods: Sequence[int]) -> list[int]:
    if len(periods) < 2:
        return list(periods)
    step = periods[-1] - periods[-2]
    start = len(periods) - 2
    while start > 0 and periods[start] - periods[start - 1] == step:
        start -= 1
    return list(periods[start:])
