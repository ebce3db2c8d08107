"""The worker's own access token for reading stats, where no user's request is at hand.

Stats checks a token on every read (unless ``ANONYMOUS_READ`` is on), and precomputation runs
when stats announces new data, on nobody's behalf. The worker is a service account of the auth
service: it asks ``POST /api/auth/token`` for a client-credentials token with its own
``ANALYTICS_CLIENT_ID`` / ``ANALYTICS_CLIENT_SECRET`` (HTTP Basic, RFC 6749 §2.3.1) and keeps the
token until shortly before it expires. No user account, no session, no login throttle. Without
a client the worker calls stats anonymously.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import quote_plus

import httpx
import structlog

from chiiki_analytics.config import AnalyticsSettings

logger = structlog.get_logger(__name__)

TOKEN_PATH = "/api/auth/token"  # noqa: S105 - a path, not a secret
SCOPE = "stats:read"
RENEW_BEFORE_SECONDS = 60


@dataclass
class _Cached:
    authorization: str
    renew_at: float


_cache: dict[str, _Cached] = {}


async def service_authorization(settings: AnalyticsSettings) -> str | None:
    """``Bearer <token>`` of the worker's client, asking for one when needed; None without one."""
    if settings.client_id is None or settings.client_secret is None:
        return None
    cached = _cache.get(settings.client_id)
    if cached and cached.renew_at > time.monotonic():
        return cached.authorization
    url = settings.auth_internal_url.rstrip("/") + TOKEN_PATH
    # RFC 6749 §2.3.1: id and secret are form-encoded before they go into Basic.
    auth = httpx.BasicAuth(
        quote_plus(settings.client_id), quote_plus(settings.client_secret.get_secret_value())
    )
    try:
        async with httpx.AsyncClient(timeout=settings.stats_timeout_seconds) as http:
            response = await http.post(
                url, data={"grant_type": "client_credentials", "scope": SCOPE}, auth=auth
            )
        response.raise_for_status()
        body = response.json()
        authorization = f"Bearer {body['access_token']}"
        lifetime = float(body["expires_in"]) - RENEW_BEFORE_SECONDS
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        logger.warning("service_token_failed", error=type(exc).__name__)
        return None
    _cache[settings.client_id] = _Cached(authorization, time.monotonic() + max(lifetime, 0))
    return authorization
