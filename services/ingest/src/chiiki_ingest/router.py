"""HTTP routes of the ingest service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["ingest"])
