"""HTTP routes of the stats service, one module per area. Every route reads (GET) and needs a
valid access token, or none when ``ANONYMOUS_READ`` is on (``chiiki_shared.security``)."""

from __future__ import annotations

from fastapi import APIRouter

from chiiki_stats.routers import (
    boundaries,
    comparison,
    datasets,
    indicators,
    kpi,
    livability,
    population,
    regions,
    statistics,
)

ROUTERS: list[APIRouter] = [
    regions.router,
    boundaries.router,
    indicators.router,
    population.router,
    livability.router,
    comparison.router,
    kpi.router,
    statistics.router,
    datasets.router,
]
