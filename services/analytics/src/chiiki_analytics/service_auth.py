"""The worker's own access token for reading stats, where no user's request is at hand.

Stats checks a token on every read (unless ``ANONYMOUS_READ`` is on), and precomputation runs
when stats announces new data, on nobody's behalf. Until auth issues service tokens, the worker
logs in with a configured account (``ANALYTICS_SERVICE_EMAIL`` / ``ANALYTICS_SERVICE_PASSWORD``,
falling back to the stack's bootstrap admin) and keeps the token until shortly before it expires.
Without an account the worker calls stats anonymously.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import structlog

from chiiki_analytics.config import AnalyticsSettings

logger = structlog.get_logger(__name__)

LOGIN_PATH = "/api/auth/login"
RENEW_BEFORE_SECONDS = 60


@dataclass
class _Cached:
    authorization: str
    renew_at: float


_cache: dict[str, _Cached] = {}


async def service_authorization(settings: AnalyticsSettings) -> str | None:
    """``Bearer <token>`` of the service account, logging in when needed; None without one."""
    email, password = settings.service_account()
    if not email or not password:
        return None
    cached = _cache.get(email)
    if cached and cached.renew_at > time.monotonic():
        return cached.authorization
    url = settings.auth_internal_url.rstrip("/") + LOGIN_PATH
    try:
        async with httpx.AsyncClient(timeout=settings.stats_timeout_seconds) as http:
            response = await http.post(url, json={"email": email, "password": password})
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        logger.warning("service_login_failed", error=type(exc).__name__)
        return None
    authorization = f"Bearer {body['access_token']}"
    lifetime = float(body.get("expires_in", 0)) - RENEW_BEFORE_SECONDS
    _cache[email] = _Cached(authorization, time.monotonic() + max(lifetime, 0))
    return authorization
