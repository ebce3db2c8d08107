"""Alembic environment of the stats service (see chiiki_shared.migrations)."""

from chiiki_shared.migrations import run_env
from chiiki_stats.config import StatsSettings
from chiiki_stats.models import Base

run_env(StatsSettings(), Base.metadata)
