"""HTTP routes of the stats service: one router per area under ``routers/``, gathered here."""

from __future__ import annotations

from fastapi import APIRouter

from chiiki_stats.routers import ROUTERS

router = APIRouter()
for area in ROUTERS:
    router.include_router(area)
