"""HTTP routes of the stats service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["stats"])
