"""Regions whose latest change is unusual, against their own history and against their peers.

The method is the modified z-score of Iglewicz & Hoaglin (1993): ``(x - median) / (1.4826 *
MAD)``, robust to the outliers it looks for; |z| > 3.5 is unusual. When the MAD is zero (half the
reference values equal) the mean absolute deviation times 1.2533 stands in for it. The peer
reference is every region's change over the same period, the region's own included. Changes are
percent changes when every value is positive, else changes in the indicator's unit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from chiiki_analytics.forecasting.series import History

THRESHOLD = 3.5
MIN_REFERENCE = 5
_MAD_TO_SD = 1.4826
_MEAN_AD_TO_SD = 1.2533


@dataclass(frozen=True)
class RobustScore:
    z: float
    median: float
    spread: float
    reference_count: int


@dataclass(frozen=True)
class Assessment:
    region: str
    period: int
    value: float
    change: float
    own: RobustScore | None
    peers: RobustScore | None
    reasons: list[str]

    @property
    def unusual(self) -> bool:
        return bool(self.reasons)

    @property
    def severity(self) -> float:
        scores = [abs(s.z) for s in (self.own, self.peers) if s is not None]
        return max(scores, default=0.0)


def robust_score(value: float, reference: np.ndarray) -> RobustScore | None:
    """The modified z-score of ``value`` against ``reference``; None when the reference is too
    small or has no spread at all."""
    if len(reference) < MIN_REFERENCE:
        return None
    median = float(np.median(reference))
    deviations = np.abs(reference - median)
    spread = _MAD_TO_SD * float(np.median(deviations))
    if spread == 0:
        spread = _MEAN_AD_TO_SD * float(np.mean(deviations))
    if spread == 0:
        return None
    return RobustScore((value - median) / spread, median, spread, len(reference))


def assess(panel: Mapping[str, History], *, relative: bool | None = None) -> list[Assessment]:
    """Every region's latest change scored against its own earlier changes and against the
    other regions' changes over the same period; most unusual first.

    ``relative`` chooses percent changes; by default they are used when every value is positive
    (pass False for interval scales such as temperatures, or for shares in percent).
    """
    all_positive = all(bool(np.all(h.values > 0)) for h in panel.values())
    relative = all_positive if relative is None else relative and all_positive
    changes = {region: _changes(h, relative) for region, h in panel.items() if len(h) >= 2}
    latest_period = max(h.last_period for h in panel.values())
    peers = {r: c[-1] for r, c in changes.items() if panel[r].last_period == latest_period}
    peer_values = np.array(list(peers.values()))
    unit = "%" if relative else ""
    results = [
        _assess_region(region, panel[region], changes[region], peer_values, unit)
        for region in peers
    ]
    return sorted(results, key=lambda a: (-a.unusual, -a.severity, a.region))


def _changes(history: History, relative: bool) -> np.ndarray:
    values = history.values
    return (values[1:] / values[:-1] - 1) * 100 if relative else np.diff(values)


def _assess_region(
    region: str, history: History, changes: np.ndarray, peer_values: np.ndarray, unit: str
) -> Assessment:
    latest = float(changes[-1])
    own = robust_score(latest, changes[:-1])
    peers = robust_score(latest, peer_values)
    period, previous = history.last_period, history.periods[-2]
    what = f"The {previous}-{period} change of {latest:+.2f}{unit}"
    reasons = []
    if own and abs(own.z) > THRESHOLD:
        reasons.append(
            f"{what} is {abs(own.z):.1f} robust standard deviations {_side(own.z)} this "
            f"region's own earlier changes ({history.periods[0]}-{previous}: median "
            f"{own.median:+.2f}{unit}, {own.reference_count} changes)."
        )
    if peers and abs(peers.z) > THRESHOLD:
        reasons.append(
            f"{what} is {abs(peers.z):.1f} robust standard deviations {_side(peers.z)} the "
            f"changes of the {peers.reference_count} regions over the same period (median "
            f"{peers.median:+.2f}{unit})."
        )
    value = float(history.values[-1])
    return Assessment(region, period, value, latest, own, peers, reasons)


def _side(z: float) -> str:
    return "above" if z > 0 else "below"
