"""Trends of one series and anomalies across the prefectures, as the API shows them."""

from __future__ import annotations

import asyncio
from typing import Any

from chiiki_analytics.answers import AnomalyDocument, TrendDocument
from chiiki_analytics.data import Panel, load_panel
from chiiki_analytics.exceptions import data_problems
from chiiki_analytics.forecasting import anomalies, trends
from chiiki_analytics.forecasting.errors import InsufficientData
from chiiki_analytics.periods import kinds, label
from chiiki_analytics.stats_client import IndicatorInfo, StatsClient

# Units on an interval scale or already in percent: their changes are compared in the unit
# (degrees, percentage points), never as percent changes.
ABSOLUTE_CHANGE_UNITS = frozenset({"%", "℃"})

TREND_METHOD = (
    "Piecewise straight lines with 0, 1 or 2 breaks (segments of at least "
    f"{trends.MIN_SEGMENT} observations, every placement tried); the number of breaks with the "
    "lowest BIC is reported."
)
ANOMALY_METHOD = (
    "Modified z-scores (Iglewicz & Hoaglin): (x - median) / (1.4826 * MAD) of the latest change, "
    "against the region's own earlier changes and against every region's change over the same "
    f"period; |z| > {anomalies.THRESHOLD} is unusual. Changes are percent changes, except for "
    "indicators in % or ℃, whose changes are in their unit."
)


async def trend_of(client: StatsClient, indicator: str, region: str) -> TrendDocument:
    panel = await load_panel(client, indicator, [region])
    with data_problems():
        document = await asyncio.to_thread(_trend_document, panel, region)
    return TrendDocument.model_validate(document)


def _trend_document(panel: Panel, region: str) -> dict[str, Any]:
    history = panel.histories.get(region)
    if history is None or len(history) < trends.MIN_POINTS:
        raise InsufficientData(
            f"{panel.indicator.code} has {len(history) if history else 0} evenly spaced "
            f"values for {region}; a trend needs at least {trends.MIN_POINTS}"
        )
    fitted = trends.trend(history)
    cagr = trends.cagr(history)
    labels = panel.period_labels.get(region, {})

    def named(year: int) -> str:
        return label(year, labels)

    first, last = history.periods[0], history.last_period
    return {
        "indicator": panel.indicator.summary(),
        "region": panel.regions[region].summary(),
        "data_version": panel.data_version,
        "period_kinds": kinds(named(p) for p in history.periods),
        "history": [
            {"period": named(p), "year": p, "value": float(v)}
            for p, v in zip(history.periods, history.values, strict=True)
        ],
        "changes": [
            {
                **c.__dict__,
                "period": named(c.period),
                "year": c.period,
                "previous_period": named(c.previous_period),
                "previous_year": c.previous_period,
            }
            for c in trends.changes(history)
        ],
        "cagr": {
            "percent": cagr,
            "from": named(first),
            "to": named(last),
            "from_year": first,
            "to_year": last,
            "reason": None if cagr is not None else "CAGR needs positive values at both ends",
        },
        "segments": [
            {
                "start_period": named(s.start_period),
                "start_year": s.start_period,
                "end_period": named(s.end_period),
                "end_year": s.end_period,
                "slope_per_year": s.slope_per_year,
            }
            for s in fitted.segments
        ],
        "breaks": [
            {
                **b.__dict__,
                "period": named(b.period),
                "year": b.period,
                "level_shift": float(b.level_shift),
            }
            for b in fitted.breaks
        ],
        "bic_by_breaks": fitted.bic_by_breaks,
        "method": TREND_METHOD,
        "attribution": panel.attribution,
    }


async def anomalies_of(client: StatsClient, indicator: str) -> AnomalyDocument:
    panel = await load_panel(client, indicator, None)
    with data_problems():
        document = await asyncio.to_thread(_anomaly_document, panel)
    return AnomalyDocument.model_validate(document)


def _relative(indicator: IndicatorInfo, panel: Panel) -> bool:
    """Percent changes, unless the unit forbids them or some value is not positive."""
    positive = all(bool((h.values > 0).all()) for h in panel.histories.values())
    return positive and indicator.unit not in ABSOLUTE_CHANGE_UNITS


def _anomaly_document(panel: Panel) -> dict[str, Any]:
    usable = {code: h for code, h in panel.histories.items() if len(h) >= 2}
    if len(usable) < anomalies.MIN_REFERENCE:
        raise InsufficientData(
            f"{panel.indicator.code} has a change for {len(usable)} region(s); comparing with "
            f"peers needs at least {anomalies.MIN_REFERENCE}"
        )
    relative = _relative(panel.indicator, panel)
    assessed = anomalies.assess(usable, relative=relative)
    return {
        "indicator": panel.indicator.summary(),
        "data_version": panel.data_version,
        "change_unit": "percent" if relative else "indicator unit",
        "threshold": anomalies.THRESHOLD,
        "method": ANOMALY_METHOD,
        "unusual_count": sum(a.unusual for a in assessed),
        "regions": [_assessment(a, panel) for a in assessed],
        "attribution": panel.attribution,
    }


def _assessment(assessment: anomalies.Assessment, panel: Panel) -> dict[str, Any]:
    return {
        "region": panel.regions[assessment.region].summary(),
        "period": label(assessment.period, panel.period_labels.get(assessment.region, {})),
        "year": assessment.period,
        "value": assessment.value,
        "change": assessment.change,
        "unusual": assessment.unusual,
        "own_history": assessment.own.__dict__ if assessment.own else None,
        "peers": assessment.peers.__dict__ if assessment.peers else None,
        "reasons": assessment.reasons,
    }
