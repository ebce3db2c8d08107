"""pytest plugin: every test run gets its own database and Redis key space on real servers.

Where the servers come from, in order: ``TEST_DATABASE_URL`` / ``TEST_REDIS_URL``; containers from
testcontainers when a Docker engine answers; the local servers on 127.0.0.1; embedded servers.
The run's database is created with every service's roles, schemas and migrations, and dropped at
the end; the Redis keys under the run's prefix are deleted.

Fault tests get servers of their own instead (``own_redis``, ``own_postgres``), which they may
stop and start; ``serve_http`` runs an app under a real uvicorn when a test needs real sockets.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
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
from chiiki_devstack.own_servers import OwnPostgres, OwnRedis
from chiiki_devstack.processes import ProcessTable
from chiiki_devstack.stack import Stack
from chiiki_shared.settings import ServiceSettings

# The admin the e2e stack creates at start-up (BOOTSTRAP_ADMIN_*), for tests to log in as.
E2E_ADMIN_EMAIL = "e2e-admin@chiiki.example"
# Not containing the email's local part ("e2e-admin"): the password policy refuses that.
E2E_ADMIN_PASSWORD = "bootstrap-" + uuid4().hex
# The scrape token of every service this run starts (METRICS_TOKEN), in-process or in the stack.
METRICS_TOKEN = "test-metrics-" + uuid4().hex
# The e2e gateway's read timeout: short enough that the 504 test is quick, long enough for the
# slowest legitimate request (an argon2id hash, a first forecast) on a loaded 2-core CI machine,
# where a request that takes 0.3 s idle has been seen to take over 3 s.
E2E_GATEWAY_READ_TIMEOUT_SECONDS = 10


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
            "METRICS_TOKEN": METRICS_TOKEN,
            **{f"{name.upper()}_DB_PASSWORD": f"test-{uuid4().hex}" for name in SERVICES},
        }
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        stack.callback(_restore_env, saved)
        migrate()
        load_revocation_list()
        stack.callback(drop_database, admin)
        stack.callback(_delete_redis_keys, redis_url, env["REDIS_KEY_PREFIX"])
        yield Platform(admin, redis_url, env["REDIS_KEY_PREFIX"], env)


def load_revocation_list() -> None:
    """What the auth service does at start-up: write the revocation list (empty in a new
    database) and its marker into Redis, so services that check tokens with no auth service
    running in the test see a complete list."""
    import asyncio

    asyncio.run(load_revocations())


async def load_revocations(redis_key_prefix: str | None = None) -> None:
    """``load_revocation_list`` from a running event loop, also for another key prefix (a suite
    whose services share a prefix of their own)."""
    from chiiki_auth.config import AuthSettings
    from chiiki_auth.revocations import DenylistRebuilder
    from chiiki_shared.runtime import Runtime

    settings = AuthSettings()
    runtime = Runtime.open(settings)
    try:
        await DenylistRebuilder(
            runtime.redis,
            runtime.sessions,
            prefix=redis_key_prefix or settings.redis_key_prefix,
            ttl_seconds=settings.revocation_ttl_seconds,
        ).ensure_loaded()
    finally:
        await runtime.close()


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


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    """A Redis of this test's own (empty, no persistence): ``stop()``, ``start()``, ``restart()``;
    point an app at it with ``REDIS_URL=own_redis.url``."""
    server = OwnRedis()
    try:
        server.start()
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def _own_postgres_server(platform: Platform) -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    try:
        server.start()
        migrate_into(server.admin_url())
        yield server
    finally:
        server.close()


@pytest.fixture
def own_postgres(_own_postgres_server: OwnPostgres) -> Iterator[OwnPostgres]:
    """A PostgreSQL of this test's own, with every service's roles, schemas and migrations, which
    the test may ``stop()`` and ``start()``; point an app at it with
    ``DATABASE_URL=own_postgres.admin_url()``. The server is shared by the session's fault tests
    (made once) and running again after each of them."""
    try:
        yield _own_postgres_server
    finally:
        _own_postgres_server.start()


def migrate_into(admin_url: str) -> None:
    """Provision and migrate every service into ``admin_url`` (the run's role passwords)."""
    from chiiki_devstack.cli import migrate

    saved = {"DATABASE_URL": os.environ.get("DATABASE_URL")}
    os.environ["DATABASE_URL"] = admin_url
    try:
        migrate()
    finally:
        _restore_env(saved)


@asynccontextmanager
async def serve_http(app: FastAPI) -> AsyncIterator[str]:
    """``app`` under a real uvicorn server on a free port (its lifespan included); yields its
    base URL. For what the in-process transport cannot show: keep-alive connections, sockets."""
    import asyncio

    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=free_port(), lifespan="on", log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 30
    while not server.started:
        if task.done() or time.monotonic() >= deadline:
            server.should_exit = True
            await task
            raise RuntimeError("uvicorn did not start")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await task


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
    stack: Stack, process: str, needle: str, *, event: str | None = None, within: float = 30
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


@contextmanager
def second_gateway(**overrides: str) -> Iterator[str]:
    """Another nginx in front of the same services (or the upstreams the overrides name),
    rendered with other settings; yields its URL."""
    from chiiki_devstack import gateway

    run_dir = Path(tempfile.mkdtemp(prefix="chiiki-gw-"))
    run_dir.chmod(0o711)
    port = free_port()
    settings = StackSettings(RUN_DIR=run_dir, GATEWAY_PORT=port, **overrides)
    config = gateway.render(settings)
    error_log = str(settings.log_dir / "gateway-error.log")
    process = subprocess.Popen(  # noqa: S603 - our nginx, our config
        [gateway.nginx_binary(), "-p", str(config.parent), "-c", str(config), "-e", error_log],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/api/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(run_dir, ignore_errors=True)


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


def stack_run_dir() -> Path:
    """A run folder for a stack: nginx's workers (not root) write the token-check cache and large
    request bodies under it, so it lives outside pytest's private temp folder, traversable but not
    listable."""
    run_dir = Path(tempfile.mkdtemp(prefix="chiiki-e2e-"))
    run_dir.chmod(0o711)
    return run_dir


@contextmanager
def separate_stack(platform: Platform, **overrides: str) -> Iterator[Stack]:
    """A stack of the test's own, beside the session's: its own database, Redis key prefix (so
    its own bus), run folder and ports, for tests that kill its processes. It logs in
    ``E2E_ADMIN_EMAIL``. Everything it made is removed afterwards."""
    from chiiki_auth.keys import generate_key_file
    from chiiki_shared.provisioning import drop_database

    suffix = uuid4().hex[:8]
    admin_url = make_url(platform.admin_url)
    database = admin_url.set(database=f"{admin_url.database}_{suffix}")
    database_url = database.render_as_string(hide_password=False)
    prefix = f"{platform.redis_key_prefix}{suffix}:"
    run_dir = stack_run_dir()
    keys_dir = run_dir / "auth-keys"
    generate_key_file(keys_dir)
    try:
        with running_stack(
            platform,
            run_dir,
            DATABASE_URL=database_url,
            REDIS_KEY_PREFIX=prefix,
            AUTH_KEYS_DIR=str(keys_dir),
            BOOTSTRAP_ADMIN_EMAIL=E2E_ADMIN_EMAIL,
            BOOTSTRAP_ADMIN_PASSWORD=E2E_ADMIN_PASSWORD,
            **overrides,
        ) as running:
            yield running
    finally:
        drop_database(database_url)
        _delete_redis_keys(platform.redis_url, prefix)
        shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from chiiki_auth.keys import generate_key_file

    keys_dir = tmp_path_factory.mktemp("auth-keys")
    generate_key_file(keys_dir)
    run_dir = stack_run_dir()
    try:
        with running_stack(
            platform,
            run_dir,
            GATEWAY_READ_TIMEOUT=f"{E2E_GATEWAY_READ_TIMEOUT_SECONDS}s",
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


@pytest.fixture(scope="session")
def frontend_gateway_url(stack: Stack) -> str:
    """The session stack's gateway URL, with the dashboard built into its FRONTEND_DIST (once
    per session, and only when the build is missing or older than frontend/'s sources, as make
    up does); skipped in a checkout without frontend/."""
    from chiiki_devstack import frontend

    if not frontend.is_app():
        pytest.skip("no frontend/ app in this checkout")
    try:
        frontend.ensure_built(stack.settings)
    except frontend.FrontendBuildFailed as exc:
        pytest.fail(str(exc), pytrace=False)
    index = stack.settings.frontend_dist / "index.html"
    if not index.exists():
        pytest.fail(f"no build to serve: {index} is missing", pytrace=False)
    return stack.settings.gateway_url
