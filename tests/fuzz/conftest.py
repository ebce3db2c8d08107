"""The four services for fuzzing: real HTTP (uvicorn) on free ports, on a database of their own.

Fuzzing writes (registrations, logins, policies, catalog entries, runs), so the services get their
own database (every migration applied, dropped afterwards) and their own Redis key prefix (deleted
afterwards): nothing they write reaches the other suites or the e2e stack, and no worker consumes
their bus messages, so no ingestion run is ever fetched from e-Stat (the runs stay queued).
The callers are one anonymous, one user and one admin, each unique to the run.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from uuid import uuid4

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from chiiki_devstack.pytest_plugin import _delete_redis_keys, _restore_env, free_port

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "4"))
PASSWORD = "fuzz-" + uuid4().hex


@dataclass
class Server:
    app: FastAPI
    port: int = field(default_factory=free_port)

    def __post_init__(self) -> None:
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{self.app.title} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@dataclass
class FuzzApis:
    """The services' base URLs and apps, and the callers' headers (``identity`` -> headers)."""

    servers: dict[str, Server]
    admin_email: str
    user_email: str
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict)

    def url(self, service: str) -> str:
        return self.servers[service].url

    def headers(self, identity: str) -> dict[str, str]:
        if identity == "anonymous":
            return {}
        email = self.admin_email if identity == "admin" else self.user_email
        token, renew_at = self._tokens.get(identity, ("", 0.0))
        if renew_at <= time.monotonic():
            response = httpx.post(
                f"{self.url('auth')}/api/auth/login",
                json={"email": email, "password": PASSWORD},
                timeout=30,
            )
            response.raise_for_status()
            body = response.json()
            token = body["access_token"]
            self._tokens[identity] = (token, time.monotonic() + body["expires_in"] - 120)
        return {"Authorization": f"Bearer {token}"}


def _signing_keys() -> str:
    from chiiki_auth.keys import private_key_pem

    key = ec.generate_private_key(ec.SECP256R1())
    entry = {"kid": "fuzz", "private_key": private_key_pem(key).decode()}
    return json.dumps([{**entry, "activated_at": "2020-01-01T00:00:00+00:00"}])


def _apps(admin_email: str) -> dict[str, Server]:
    from chiiki_analytics.config import AnalyticsSettings
    from chiiki_analytics.main import create_app as analytics_app
    from chiiki_auth.config import AuthSettings
    from chiiki_auth.main import create_app as auth_app
    from chiiki_ingest.config import IngestSettings
    from chiiki_ingest.main import create_app as ingest_app
    from chiiki_stats.config import StatsSettings
    from chiiki_stats.main import create_app as stats_app

    auth = Server(
        auth_app(
            AuthSettings(
                signing_keys=_signing_keys(),
                BOOTSTRAP_ADMIN_EMAIL=admin_email,
                BOOTSTRAP_ADMIN_PASSWORD=PASSWORD,
                # Fuzzed logins fail by the thousand from one address.
                login_ip_max_failures=1_000_000,
                login_account_max_failures=100,
                register_ip_max=1_000_000,
            )
        )
    )
    common = {"AUTH_INTERNAL_URL": auth.url}
    stats = Server(stats_app(StatsSettings(**common)))
    return {
        "auth": auth,
        "stats": stats,
        "ingest": Server(ingest_app(IngestSettings(**common))),
        "analytics": Server(
            analytics_app(
                AnalyticsSettings(
                    **common,
                    STATS_INTERNAL_URL=stats.url,
                    service_email=admin_email,
                    service_password=PASSWORD,
                )
            )
        ),
    }


@pytest.fixture(scope="package")
def fuzz_apis(platform) -> Iterator[FuzzApis]:
    from chiiki_devstack.cli import migrate
    from chiiki_shared.provisioning import drop_database

    run = uuid4().hex[:8]
    database = make_url(platform.admin_url)
    database = database.set(database=f"{database.database}_fuzz_{run}")
    admin_url = database.render_as_string(hide_password=False)
    env = {"DATABASE_URL": admin_url, "REDIS_KEY_PREFIX": f"{platform.redis_key_prefix}fuzz-{run}:"}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    servers: dict[str, Server] = {}
    try:
        migrate()
        admin_email = f"fuzz-admin-{run}@chiiki.example"
        servers = _apps(admin_email)
        for server in servers.values():
            server.start()
        apis = FuzzApis(servers, admin_email, f"fuzz-user-{run}@chiiki.example")
        registered = httpx.post(
            f"{apis.url('auth')}/api/auth/register",
            json={"email": apis.user_email, "password": PASSWORD, "display_name": "Fuzz"},
            timeout=30,
        )
        registered.raise_for_status()
        yield apis
    finally:
        for server in reversed(servers.values()):
            server.stop()
        drop_database(admin_url)
        _delete_redis_keys(platform.redis_url, env["REDIS_KEY_PREFIX"])
        _restore_env(saved)


IDENTITIES = ("anonymous", "user", "admin")


@pytest.fixture(params=IDENTITIES)
def identity(request: pytest.FixtureRequest) -> str:
    return request.param


HeadersOf = Callable[[str], dict[str, str]]
