"""Settings of the auth service: variables prefixed ``AUTH_``, plus the shared ones."""

from __future__ import annotations

from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from chiiki_shared.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", populate_by_name=True)

    service_name: ClassVar[str] = "auth"
