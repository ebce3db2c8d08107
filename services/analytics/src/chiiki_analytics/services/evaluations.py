"""How far to trust the pooled census forecasts of an indicator: the backtest table.

Every prefecture's series is read from stats once; its census years (five apart) form the
panel, cut at ``as_of`` when given, so the table is what was knowable then.
"""

from __future__ import annotations

import asyncio
from typing import Any

from chiiki_analytics.answers import ForecastEvaluation
from chiiki_analytics.data import data_version
from chiiki_analytics.documents import level_key
from chiiki_analytics.exceptions import data_problems
from chiiki_analytics.forecasting.errors import InsufficientData
from chiiki_analytics.forecasting.pooled import METHODS, CensusPanel
from chiiki_analytics.forecasting.pooled_forecast import (
    CALIBRATION_ORIGINS,
    evaluate,
    first_origin,
)
from chiiki_analytics.forecasting.pooled_selection import RECENT_ORIGINS, select
from chiiki_analytics.periods import kinds, label
from chiiki_analytics.stats_client import IndicatorInfo, StatsClient

# Horizons of the table, in census steps (5 and 10 years).
HORIZON = 2
METHOD = (
    "Rolling origins on the census years (five apart) of every prefecture at once: at each "
    "origin the whole procedure (choice of method by backtest MAPE on the "
    f"{RECENT_ORIGINS} latest origins, fit, intervals calibrated on the errors the procedure "
    f"made at the {CALIBRATION_ORIGINS} latest origins, each scaled by the region's mean absolute "
    "five-year change) sees only the data up to that origin, and is scored on what followed."
)


async def evaluation_of(
    client: StatsClient, indicator: str, as_of: int | None
) -> ForecastEvaluation:
    info = await client.indicator(indicator)
    prefectures, versions = await asyncio.gather(client.prefectures(), client.dataset_versions())
    observed = await client.observations([indicator], [p.code for p in prefectures])
    series = {code: observed.series(indicator, code) for code in observed.regions}
    labels = {
        year: text
        for code in observed.regions
        for year, text in observed.period_labels(indicator, code).items()
    }
    with data_problems():
        document = await asyncio.to_thread(_document, info, series, labels, as_of)
    document |= {
        "data_version": data_version(observed, versions),
        "attribution": observed.attribution,
    }
    return ForecastEvaluation.model_validate(document)


def _document(
    info: IndicatorInfo,
    series: dict[str, dict[int, float | None]],
    labels: dict[int, str],
    as_of: int | None,
) -> dict[str, Any]:
    panel = CensusPanel.of(series)
    if as_of is not None:
        panel = panel.until(as_of)
    rows = evaluate(panel, HORIZON)
    if not rows:
        raise InsufficientData(f"no backtest origin before {panel.periods[-1]} has an outcome")
    selection = select(panel, HORIZON)
    origin = first_origin(panel)
    census = [panel.periods[0], panel.periods[-1]]
    return {
        "indicator": info.summary(),
        "as_of": as_of,
        "period_kinds": kinds(label(year, labels) for year in panel.periods),
        "census_periods": [label(year, labels) for year in census],
        "census_years": census,
        "chosen": selection.chosen.name,
        "reason": selection.reason(),
        "selection": [
            {
                "method": bt.method,
                "description": _describe(bt.method),
                "baseline": bt.method in ("naive", "drift"),
                "chosen": bt.method == selection.chosen.name,
                "mape": bt.mape(),
                "mape_by_horizon": bt.mape_by_horizon(),
            }
            for bt in selection.ranking()
        ],
        "backtest": [
            {
                "method": row.method,
                "horizon_years": row.horizon * 5,
                "origins": row.origins,
                "mape": row.mape,
                "coverage": (
                    {level_key(lv): v for lv, v in row.coverage.items()} if row.coverage else None
                ),
            }
            for row in rows
        ],
        "first_origin": label(origin, labels),
        "first_origin_year": origin,
        "method": METHOD,
    }


def _describe(name: str) -> str:
    return next(m.description for m in METHODS if m.name == name)
