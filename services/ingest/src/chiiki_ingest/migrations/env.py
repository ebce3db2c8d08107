"""Alembic environment of the ingest service (see chiiki_shared.migrations)."""

from chiiki_ingest.config import IngestSettings
from chiiki_ingest.models import Base
from chiiki_shared.migrations import run_env

run_env(IngestSettings(), Base.metadata)
