"""The auth service's ASGI app: ``uvicorn chiiki_auth.main:app``."""

from __future__ import annotations

from fastapi import FastAPI

from chiiki_auth.config import AuthSettings
from chiiki_auth.router import router
from chiiki_shared.app import create_service_app


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or AuthSettings(),
        title="Chiiki auth",
        description=(
            "Users, login, JWT access tokens and rotating refresh tokens, roles, profile and "
            "saved dashboard settings."
        ),
        routers=[router],
    )


app = create_app()
