"""pytest plugin: every test run gets its own database and Redis key space on real servers.

Where the servers come from, in order: ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL``; containers from
testcontainers when a Docker engine answers; the local servers on 127.0.0.1; embedded servers.
The run's database is created with every service's roles, schemas and migrations, and dropped at
the end; the Redis keys under the run's prefix are deleted.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from uuid import uuid4

import httpx
import pytest
import redis
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from chiiki_devstack import infra
from chiiki_devstack.config import REPO_ROOT, SERVICES, StackSettings
from chiiki_devstack.processes import ProcessTable
from chiiki_devstack.stack import Stack
from chiiki_shared.settings import ServiceSettings

# The admin the e2e stack creates at start-up (BOOTSTRAP_ADMIN_*), for tests to log in as.
E2E_ADMIN_EMAIL = "e2e-admin@chiiki.example"
E2E_ADMIN_PASSWORD = "e2e-admin-" + uuid4().hex


@dataclass(frozen=True)
class Platform:
    """The servers and names of this test run."""

    admin_url: str
    redis_url: str
    redis_key_prefix: str
    env: dict[str, str]

    def service_env(self) -> dict[str, str]:
        return {**os.environ, **self.env}


def _docker_engine_answers() -> bool:
    socket_path = Path("/var/run/docker.sock")
    if not socket_path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(1)
            sock.connect(str(socket_path))
    except OSError:
        return False
    return True


def _server_urls(stack: ExitStack, tmp: Path) -> tuple[str, str]:
    """Admin URL of a PostgreSQL server and URL of a Redis server for this run."""
    pg_url, redis_url = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    if (not pg_url or not redis_url) and _docker_engine_answers():
        from testcontainers.postgres import PostgresContainer
        from testcontainers.redis import RedisContainer

        if not pg_url:
            pg = stack.enter_context(PostgresContainer("postgres:16-alpine", driver=None))
            pg_url = pg.get_connection_url()
        if not redis_url:
            rd = stack.enter_context(RedisContainer("redis:7-alpine"))
            redis_url = f"redis://{rd.get_container_host_ip()}:{rd.get_exposed_port(6379)}/0"
    if not pg_url or not redis_url:
        resolved = infra.resolve(StackSettings(RUN_DIR=tmp), dict(os.environ))
        table = ProcessTable(tmp / "pids", tmp / "logs")
        for spec in resolved.embedded:
            table.start(spec)
            stack.callback(table.stop, spec.name)
        pg_url = pg_url or resolved.database_url
        redis_url = redis_url or resolved.redis_url
    return pg_url, redis_url


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    from chiiki_devstack.cli import migrate
    from chiiki_shared.provisioning import drop_database

    run_id = uuid4().hex[:12]
    with ExitStack() as stack:
        pg_url, redis_url = _server_urls(stack, tmp_path_factory.mktemp("infra"))
        admin_url = make_url(pg_url).set(database=f"chiiki_test_{run_id}")
        admin = admin_url.render_as_string(hide_password=False)
        env = {
            "ENVIRONMENT": "test",
            "LOG_LEVEL": "INFO",
            "DATABASE_URL": admin,
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": f"chiiki-test-{run_id}:",
            **{f"{name.upper()}_DB_PASSWORD": f"test-{uuid4().hex}" for name in SERVICES},
        }
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        stack.callback(_restore_env, saved)
        migrate()
        stack.callback(drop_database, admin)
        stack.callback(_delete_redis_keys, redis_url, env["REDIS_KEY_PREFIX"])
        yield Platform(admin, redis_url, env["REDIS_KEY_PREFIX"], env)


def _restore_env(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _delete_redis_keys(url: str, prefix: str) -> None:
    client = redis.Redis.from_url(url)
    try:
        keys = list(
            client.scan_iter(match=prefix if prefix.endswith("*") else f"{prefix}*", count=1000)
        )
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@asynccontextmanager
async def serve_app(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to ``app`` in-process, with its lifespan run around it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@pytest.fixture(scope="session")
def app_client(platform: Platform) -> Callable[[FastAPI], AbstractAsyncContextManager]:
    """``async with app_client(create_app()) as client:`` — the app runs against this run's DB."""
    return serve_app


def import_test_helper(path: Path) -> ModuleType:
    """Import a helper module that sits beside tests (``services/stats/tests/estat_bus.py``).

    Test folders are not packages (pytest runs with --import-mode=importlib), so helpers shared
    by several folders, the end-to-end tests and the benchmarks are loaded by path, once.
    """
    path = path.resolve()
    name = "chiiki_test_helpers." + "_".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up here
        spec.loader.exec_module(module)
    return sys.modules[name]


def is_last_test_in(folder: Path, nextitem: pytest.Item | None) -> bool:
    """For ``pytest_runtest_teardown``: whether the next test (if any) lies outside ``folder``."""
    return nextitem is None or folder not in Path(nextitem.path).parents


def empty_tables(settings: ServiceSettings, tables: Sequence[str]) -> None:
    """Delete every row of ``tables`` as the service's own role: suites share the run's database,
    so a suite that loads data removes it before the next suite (or the e2e stack) starts."""
    import psycopg

    url = settings.service_database_url.set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as conn:
        for table in tables:
            conn.execute(f"DELETE FROM {settings.db_schema}.{table}")  # noqa: S608 - our names


def delete_redis_keys(settings: ServiceSettings, pattern: str) -> None:
    """Delete the service's Redis keys matching ``pattern`` (below its own prefix)."""
    _delete_redis_keys(
        settings.redis_url, f"{settings.redis_key_prefix}{settings.service_name}:{pattern}"
    )


def log_lines(
    stack: Stack, process: str, needle: str, *, event: str | None = None, within: float = 5
) -> list[dict]:
    """The JSON lines of ``process``'s log that contain ``needle`` (and are ``event``), waiting
    up to ``within`` seconds for them to be written."""
    path = stack.settings.log_dir / f"{process}.log"
    deadline = time.monotonic() + within
    while True:
        found = [
            json.loads(line)
            for line in path.read_text().splitlines()
            if needle in line and (event is None or f'"event": "{event}"' in line)
        ]
        if found or time.monotonic() >= deadline:
            return found
        time.sleep(0.1)


@contextmanager
def service_stopped(stack: Stack, service: str) -> Iterator[None]:
    """The stack with ``service``'s API stopped; started again (and healthy) afterwards."""
    name = f"api-{service}"
    spec = next(s for s in stack.process_specs(dict(os.environ)) if s.name == name)
    stack.table.stop(name)
    try:
        yield
    finally:
        stack.table.start(spec)
        stack.wait_until_healthy(dict(os.environ))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_stack(platform: Platform, run_dir: Path, **overrides: str) -> Iterator[Stack]:
    """The real stack (services, workers, beat, nginx) on free ports, stopped afterwards."""
    ports = {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    env = {
        **platform.env,
        **ports,
        "GATEWAY_PORT": str(free_port()),
        "RUN_DIR": str(run_dir),
        "WORKER_CONCURRENCY": "1",
        **overrides,
    }
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    stack = Stack.from_env()
    # The workers' service accounts, as make up makes them (generated into the run folder), kept
    # in this process's environment too, so a service restarted by a test gets its own again.
    clients = {} if "AUTH_BOOTSTRAP_CLIENTS" in overrides else stack.service_client_env()
    saved.update({key: os.environ.get(key) for key in clients})
    os.environ.update(clients)
    try:
        stack.up()
        yield stack
    finally:
        stack.down()
        _restore_env(saved)


@pytest.fixture(scope="session")
def stack(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from chiiki_auth.keys import generate_key_file

    keys_dir = tmp_path_factory.mktemp("auth-keys")
    generate_key_file(keys_dir)
    # nginx's workers (not root) write the token-check cache and large request bodies under the
    # run folder, so it lives outside pytest's private temp folder: traversable, not listable.
    run_dir = Path(tempfile.mkdtemp(prefix="chiiki-e2e-"))
    run_dir.chmod(0o711)
    try:
        with running_stack(
            platform,
            run_dir,
            GATEWAY_READ_TIMEOUT="3s",
            AUTH_KEYS_DIR=str(keys_dir),
            # An admin to log in as, a short token-check cache so revocations show quickly at
            # the gateway, and room for the suite's registrations and failed logins (all from
            # 127.0.0.1).
            BOOTSTRAP_ADMIN_EMAIL=E2E_ADMIN_EMAIL,
            BOOTSTRAP_ADMIN_PASSWORD=E2E_ADMIN_PASSWORD,
            GATEWAY_AUTH_CACHE="1s",
            AUTH_LOGIN_IP_MAX_FAILURES="500",
            AUTH_REGISTER_IP_MAX="500",
        ) as running:
            yield running
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def admin_headers(stack: Stack) -> Callable[[], dict[str, str]]:
    """``admin_headers()``: an ``Authorization`` header of the e2e admin, logged in through the
    gateway once and again when its access token nears expiry."""
    cached: dict[str, object] = {}

    def headers() -> dict[str, str]:
        if float(cached.get("renew_at", 0)) <= time.monotonic():  # type: ignore[arg-type]
            response = httpx.post(
                f"{stack.settings.gateway_url}/api/auth/login",
                json={"email": E2E_ADMIN_EMAIL, "password": E2E_ADMIN_PASSWORD},
                timeout=10,
            )
            response.raise_for_status()
            body = response.json()
            cached["token"] = body["access_token"]
            cached["renew_at"] = time.monotonic() + body["expires_in"] - 60
        return {"Authorization": f"Bearer {cached['token']}"}

    return headers
