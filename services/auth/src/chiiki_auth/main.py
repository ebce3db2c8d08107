"""The auth service's ASGI app: ``uvicorn chiiki_auth.main:app``."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI

from chiiki_auth.audit import AUDIT_LOG
from chiiki_auth.client_service import ClientService
from chiiki_auth.config import AuthSettings
from chiiki_auth.deps import COMPONENTS_EXTRA, AuthComponents
from chiiki_auth.keys import load_key_ring
from chiiki_auth.passwords import Passwords, common_passwords
from chiiki_auth.revocations import DenylistRebuilder
from chiiki_auth.router import internal_router, router
from chiiki_auth.schemas import normalise_email
from chiiki_auth.service import AuthService
from chiiki_auth.throttle import Throttle
from chiiki_shared.app import create_service_app
from chiiki_shared.audit.api import audit_router
from chiiki_shared.db import session_scope
from chiiki_shared.errors import dependency_of
from chiiki_shared.head import answer_head
from chiiki_shared.runtime import Runtime
from chiiki_shared.security import (
    GUARD_EXTRA,
    AccessTokenVerifier,
    RevocationList,
    TokenGuard,
)

WATCHER_EXTRA = "revocation_watch"
REBUILDER_EXTRA = "revocation_rebuilder"


async def start_auth(runtime: Runtime) -> None:
    """Load the keys (refusing to start without one outside development), build what requests
    share, and create the bootstrap admin and clients when configured and missing."""
    settings = runtime.settings
    if not isinstance(settings, AuthSettings):
        raise TypeError("the auth service runs with AuthSettings")
    keys = load_key_ring(settings)
    common_passwords()  # loaded once, now, so no request pays for it and a bad file fails here
    rebuilder = DenylistRebuilder(
        runtime.redis,
        runtime.sessions,
        prefix=settings.redis_key_prefix,
        ttl_seconds=settings.revocation_ttl_seconds,
    )
    revocations = RevocationList(
        runtime.redis, settings.redis_key_prefix, reload=rebuilder.ensure_loaded
    )
    runtime.extras[REBUILDER_EXTRA] = rebuilder
    await _load_revocations(rebuilder)
    runtime.extras[WATCHER_EXTRA] = asyncio.create_task(
        rebuilder.watch(settings.revocation_watch_seconds), name="revocation-watch"
    )
    components = AuthComponents(
        keys=keys,
        passwords=Passwords(settings),
        throttle=Throttle(runtime.redis, f"{settings.redis_key_prefix}auth:"),
        revocations=revocations,
    )
    runtime.extras[COMPONENTS_EXTRA] = components
    # The auth service verifies with its own key ring instead of fetching its JWKS over HTTP.
    verifier = AccessTokenVerifier(
        keys,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        leeway=settings.jwt_leeway_seconds,
    )
    runtime.extras[GUARD_EXTRA] = TokenGuard(verifier, revocations)
    if settings.bootstrap_clients:
        async with session_scope(runtime.sessions) as session:
            clients = ClientService(
                session=session,
                settings=settings,
                keys=keys,
                throttle=components.throttle,
                revocations=revocations,
            )
            for declared in settings.bootstrap_clients:
                await clients.ensure_bootstrap(declared)
    if settings.bootstrap_admin_email and settings.bootstrap_admin_password:
        async with session_scope(runtime.sessions) as session:
            service = AuthService(
                session=session,
                settings=settings,
                keys=keys,
                passwords=components.passwords,
                throttle=components.throttle,
                revocations=revocations,
            )
            await service.ensure_admin(
                email=normalise_email(settings.bootstrap_admin_email),
                password=settings.bootstrap_admin_password.get_secret_value(),
            )


async def _load_revocations(rebuilder: DenylistRebuilder) -> None:
    """At start-up when Redis answers; a Redis still down is left to the watcher."""
    try:
        await rebuilder.ensure_loaded()
    except Exception as exc:
        if dependency_of(exc) is None:
            raise


async def stop_auth(runtime: Runtime) -> None:
    components = runtime.extras.get(COMPONENTS_EXTRA)
    if isinstance(components, AuthComponents):
        components.passwords.close()
    watcher = runtime.extras.pop(WATCHER_EXTRA, None)
    if isinstance(watcher, asyncio.Task):
        watcher.cancel()
        # Bounded: a rebuild cancelled mid-query against a database that went away must not
        # hold up shutdown.
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(watcher, timeout=5)


def create_app(settings: AuthSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or AuthSettings(),
        title="Chiiki auth",
        description=(
            "Users, login, JWT access tokens and rotating refresh tokens, roles, profile, "
            "saved dashboard settings, and service accounts (OAuth 2.0 client credentials)."
        ),
        routers=[router, audit_router(AUDIT_LOG, "/api/auth"), internal_router],
        on_startup=[start_auth],
        on_shutdown=[stop_auth],
        reject_unknown_query=True,
    )
    answer_head(app)
    return app


app = create_app()
