"""Forecasts computed now: one series for a request, every prefecture for a job or the worker."""

from __future__ import annotations

import asyncio
from typing import Any

from chiiki_analytics.data import Panel, load_panel
from chiiki_analytics.documents import ForecastDocument, forecast_document
from chiiki_analytics.exceptions import data_problems
from chiiki_analytics.forecasting.errors import InsufficientData
from chiiki_analytics.forecasting.forecast import forecast_as_of
from chiiki_analytics.stats_client import StatsClient

MAX_HORIZON = 10
DEFAULT_HORIZON = 5


async def forecast_one(
    client: StatsClient, indicator: str, region: str, *, horizon: int, as_of: int | None
) -> ForecastDocument:
    """One series fitted now: what ``GET /api/forecasts`` answers when nothing is stored."""
    panel = await load_panel(client, indicator, [region])
    return await forecast_panel(panel, region, horizon, as_of)


async def forecast_panel(
    panel: Panel, region: str, horizon: int, as_of: int | None
) -> ForecastDocument:
    with data_problems():
        return await asyncio.to_thread(_document, panel, region, horizon, as_of)


def render(document: ForecastDocument) -> bytes:
    """The bytes of a forecast answer, the same whether fitted now or stored by the worker."""
    return document.model_dump_json().encode()


def _document(panel: Panel, region: str, horizon: int, as_of: int | None) -> ForecastDocument:
    observed = panel.histories.get(region)
    if observed is None or not len(observed):
        raise InsufficientData(f"{panel.indicator.code} has no values for region {region}")
    forecast = forecast_as_of(observed, horizon, as_of)
    return forecast_document(
        forecast,
        indicator=panel.indicator.summary(),
        region=panel.regions[region].summary(),
        as_of=as_of,
        data_version=panel.data_version,
        attribution=panel.attribution,
        labels=panel.period_labels.get(region, {}),
        observed=observed if as_of is not None else None,
    )


Row = tuple[str, dict[str, Any], str | None]


def forecast_all(panel: Panel, horizon: int, as_of: int | None = None) -> list[Row]:
    """Every region's forecast document, or why it has none."""
    rows: list[Row] = []
    for region in panel.histories:
        try:
            document = _document(panel, region, horizon, as_of).model_dump(mode="json")
            rows.append((region, document, None))
        except InsufficientData as exc:
            rows.append((region, {"region": panel.regions[region].summary()}, str(exc)))
    return rows


async def regional_forecast(
    client: StatsClient, indicator: str, *, horizon: int, as_of: int | None
) -> dict[str, Any]:
    """All prefectures computed now (a job's work, never a request's)."""
    panel = await load_panel(client, indicator, None)
    rows = await asyncio.to_thread(forecast_all, panel, horizon, as_of)
    return {
        "indicator": panel.indicator.summary(),
        "as_of": as_of,
        "horizon": horizon,
        "data_version": panel.data_version,
        "regions": [
            {"region": doc["region"], "forecast": doc if reason is None else None, "reason": reason}
            for _, doc, reason in rows
        ],
        "attribution": panel.attribution,
    }
