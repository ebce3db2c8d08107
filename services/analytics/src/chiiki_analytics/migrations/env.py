"""Alembic environment of the analytics service (see chiiki_shared.migrations)."""

from chiiki_analytics.config import AnalyticsSettings
from chiiki_analytics.models import Base
from chiiki_shared.migrations import run_env

run_env(AnalyticsSettings(), Base.metadata)
