"""Alembic environment of the auth service (see chiiki_shared.migrations)."""

from chiiki_auth.config import AuthSettings
from chiiki_auth.models import Base
from chiiki_shared.migrations import run_env

run_env(AuthSettings(), Base.metadata)
