"""The whole platform as local processes: infrastructure, migrations, services, workers, gateway."""

from __future__ import annotations

import json
import math
import os
import secrets
import ssl
import sys
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx
import structlog

from chiiki_devstack import certs, gateway, infra
from chiiki_devstack.config import REPO_ROOT, SERVICES, StackSettings
from chiiki_devstack.processes import ProcessSpec, ProcessTable
from chiiki_shared.client_address import parse_trusted_proxies

logger = structlog.get_logger("chiiki.devstack")

INFRA_NAMES = ("postgres", "redis")
# ServiceSettings.db_pool_size's default: what one process of a service holds.
DEFAULT_DB_POOL = 5
# Stopped first: the gateway, then what feeds it, then what everything stands on.
STOP_ORDER_PREFIXES = ("gateway", "beat", "worker-", "api-", "replay", "redis", "postgres")
# In development without BOOTSTRAP_ADMIN_*, this admin is created with a password generated once
# into the run folder (see dev_admin).
DEV_ADMIN_EMAIL = "admin@chiiki.example"
# Without ESTAT_API_BASE_URL the services read e-Stat from this local replay server. Its app id
# is not a secret: it only opens the recordings in the repository.
REPLAY = "replay"
REPLAY_APP_ID = "chiiki-dev-replay"
REPLAY_RECORDINGS = REPO_ROOT / "services" / "ingest" / "recordings"
# The platform's own workers' service accounts (client-credentials grant), created by the auth
# service at start-up (AUTH_BOOTSTRAP_CLIENTS) and handed to each worker through its settings.
# Secrets are generated once into the run folder (see service_clients).
SERVICE_CLIENTS = {
    "analytics": {"name": "analytics-worker", "scopes": ["stats:read"]},
}
# Settings only one service's processes may see: no service reads another's credentials.
PRIVATE_SETTINGS = {
    "auth": ("BOOTSTRAP_ADMIN_EMAIL", "BOOTSTRAP_ADMIN_PASSWORD", "AUTH_BOOTSTRAP_CLIENTS"),
    "analytics": ("ANALYTICS_CLIENT_ID", "ANALYTICS_CLIENT_SECRET"),
}
# Sent once the stack is healthy: loads every catalog table that has no version yet.
BOOTSTRAP_INGESTION_TASK = "ingest.bootstrap_catalog"


class StackFailed(RuntimeError):
    pass


def own_env(env: dict[str, str], service: str) -> dict[str, str]:
    """``env`` without the settings private to other services (PRIVATE_SETTINGS)."""
    foreign = {
        name for owner, names in PRIVATE_SETTINGS.items() if owner != service for name in names
    }
    return {name: value for name, value in env.items() if name not in foreign}


def pooled_env(env: dict[str, str], service: str, workers: int) -> dict[str, str]:
    """Each of ``workers`` processes gets its share of the service's database pool (5, as one
    process has by default), so more processes do not mean more connections; unless the pool
    size is set (``<SERVICE>_DB_POOL_SIZE``)."""
    name = f"{service.upper()}_DB_POOL_SIZE"
    if workers == 1 or name in env:
        return env
    return {**env, name: str(max(2, math.ceil(DEFAULT_DB_POOL / workers)))}


@dataclass(frozen=True)
class Stack:
    settings: StackSettings
    table: ProcessTable

    @classmethod
    def from_env(cls) -> Stack:
        settings = StackSettings()
        return cls(settings, ProcessTable(settings.pid_dir, settings.log_dir))

    # -- starting -------------------------------------------------------------------------------

    def up(self, *, load_demo_data: bool = False) -> list[str]:
        """Start what is missing and wait until healthy; with ``load_demo_data``, then queue the
        ingestion of the catalog (not waited for: the data arrives in the background).

        What is running is left alone; what crashed is started again (its name is returned)."""
        crashed = [name for name in self.table.names() if self.table.crashed(name)]
        # Only what this call starts or finds running is watched: a pid file left by a crash
        # is not a start-up failure, it is what is being repaired.
        watched: list[str] = []
        env = self.internal_urls(dict(os.environ))
        env.setdefault("ENVIRONMENT", "development")
        if env["ENVIRONMENT"] == "development" and not env.get("BOOTSTRAP_ADMIN_EMAIL"):
            email, password = self.dev_admin()
            env.update(BOOTSTRAP_ADMIN_EMAIL=email, BOOTSTRAP_ADMIN_PASSWORD=password)
        if not env.get("AUTH_BOOTSTRAP_CLIENTS") and not env.get("ANALYTICS_CLIENT_ID"):
            env.update(self.service_client_env())
        resolved = infra.resolve(self.settings, env)
        for spec in resolved.embedded:
            watched.append(self.table.start(spec).name)
        env["DATABASE_URL"] = resolved.database_url
        env["REDIS_URL"] = resolved.redis_url
        self._wait_for_infrastructure(resolved, watched)
        self._migrate(env)
        replay = self._replay(env)
        for spec in [*replay, *self.process_specs(env)]:
            watched.append(self.table.start(spec).name)
        if replay:
            port = int(self.settings.replay_port_file.read_text())
            replay_answers = partial(infra.port_answers, "127.0.0.1", port)
            self._wait("the e-Stat replay server to accept connections", replay_answers, watched)
        self._remember_gateway()
        self.wait_until_healthy(env, watched)
        if load_demo_data:
            self.queue_catalog_ingestion(env)
        return [name for name in crashed if name in watched]

    def _replay(self, env: dict[str, str]) -> list[ProcessSpec]:
        """Without ESTAT_API_BASE_URL, point the services at a replay server of our own."""
        if env.get("ESTAT_API_BASE_URL"):
            return []
        port = self._replay_port()
        env["ESTAT_API_BASE_URL"] = f"http://127.0.0.1:{port}/rest/3.0/app/json"
        env["ESTAT_APP_ID"] = REPLAY_APP_ID
        argv = [sys.executable, "-m", "chiiki_ingest.replay", "--host", "127.0.0.1"]
        argv += ["--port", str(port), "--recordings", str(REPLAY_RECORDINGS)]
        argv += ["--log-level", "warning"]
        # The accepted id goes in the environment, never on a command line `ps` shows.
        replay_env = {**own_env(env, REPLAY), "ESTAT_REPLAY_APP_ID": REPLAY_APP_ID}
        return [ProcessSpec(REPLAY, argv, replay_env, REPO_ROOT)]

    def _replay_port(self) -> int:
        """The port the replay has (or had: the services were told it), else ESTAT_REPLAY_PORT,
        else (taken) a free one."""
        path = self.settings.replay_port_file
        if path.exists() and (self.table.running(REPLAY) or self.table.crashed(REPLAY)):
            return int(path.read_text())
        port = self.settings.estat_replay_port
        if infra.port_answers("127.0.0.1", port, timeout=0.2):
            port = _free_port()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(str(port))
        return port

    def queue_catalog_ingestion(self, env: dict[str, str]) -> None:
        """Send ``ingest.bootstrap_catalog`` by name: the ingest worker queues a run for every
        enabled catalog table without a version. Sending again is harmless (make up twice)."""
        from celery import Celery

        redis_url = env.get("REDIS_URL") or self.settings.redis_url or infra.LOCAL_REDIS_URL
        app = Celery(broker=redis_url, set_as_current=False)
        app.conf.broker_transport_options = {
            "global_keyprefix": env.get("REDIS_KEY_PREFIX", "chiiki:")
        }
        try:
            app.send_task(BOOTSTRAP_INGESTION_TASK, args=[{}], queue="ingest")
        finally:
            app.close()

    @property
    def dev_admin_file(self) -> Path:
        return self.settings.run_dir / "dev-admin.json"

    def dev_admin(self) -> tuple[str, str]:
        """The development admin: its password is generated once and kept (mode 0600)."""
        path = self.dev_admin_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            record = {"email": DEV_ADMIN_EMAIL, "password": secrets.token_urlsafe(18)}
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump(record, file)
        record = json.loads(path.read_text())
        return record["email"], record["password"]

    @property
    def service_clients_file(self) -> Path:
        return self.settings.run_dir / "service-clients.json"

    def service_clients(self) -> dict[str, dict[str, object]]:
        """Each worker's client, by service: ``{id, name, secret, scopes}``, generated once and
        kept (mode 0600) like the development admin's password."""
        path = self.service_clients_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            record = {
                service: {**client, "id": str(uuid.uuid4()), "secret": secrets.token_urlsafe(32)}
                for service, client in SERVICE_CLIENTS.items()
            }
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump(record, file)
        clients: dict[str, dict[str, object]] = json.loads(path.read_text())
        return clients

    def service_client_env(self) -> dict[str, str]:
        """The auth service's AUTH_BOOTSTRAP_CLIENTS and each worker's own id and secret."""
        clients = self.service_clients()
        analytics = clients["analytics"]
        return {
            "AUTH_BOOTSTRAP_CLIENTS": json.dumps(list(clients.values())),
            "ANALYTICS_CLIENT_ID": str(analytics["id"]),
            "ANALYTICS_CLIENT_SECRET": str(analytics["secret"]),
        }

    def _remember_gateway(self) -> None:
        """Write where the gateway listens, so ``ps`` finds it without the same environment."""
        self.settings.state_file.write_text(self.settings.gateway_url)

    def gateway_url(self) -> str:
        try:
            return self.settings.state_file.read_text().strip()
        except OSError:
            return self.settings.gateway_url

    def gateway_verify(self) -> ssl.SSLContext | bool:
        """How a client checks the gateway's certificate: against the development authority
        when the gateway serves the certificate of `make certs`, else the system's."""
        authority = certs.CertificateFiles(self.settings.cert_dir).ca_cert
        own = self.settings.gateway_tls_cert is None and authority.exists()
        if self.gateway_url().startswith("https:") and own:
            return ssl.create_default_context(cafile=authority)
        return True

    def _wait_for_infrastructure(
        self, resolved: infra.Infrastructure, watched: Collection[str]
    ) -> None:
        from sqlalchemy.engine import make_url

        for url, default_port in ((resolved.database_url, 5432), (resolved.redis_url, 6379)):
            parsed = make_url(url) if url.startswith("postgres") else httpx.URL(url)
            host, port = parsed.host or "127.0.0.1", parsed.port or default_port
            probe = partial(infra.port_answers, host, port)
            self._wait(f"{host}:{port} to accept connections", probe, watched)

    def _migrate(self, env: dict[str, str]) -> None:
        """Provision roles and schemas, then run each service's migrations, in a child process
        so the settings are read from exactly the environment the services will get."""
        import subprocess

        result = subprocess.run(
            [sys.executable, "-m", "chiiki_devstack.cli", "migrate"],
            env=env,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise StackFailed(f"database migrations failed:\n{result.stdout}\n{result.stderr}")

    def internal_urls(self, env: dict[str, str]) -> dict[str, str]:
        """``env`` with where the services reach each other: the auth service's public keys
        and stats' data, unless set."""
        return {
            "AUTH_INTERNAL_URL": self.settings.service_url("auth"),
            "STATS_INTERNAL_URL": self.settings.service_url("stats"),
            **env,
        }

    def process_specs(self, env: dict[str, str]) -> list[ProcessSpec]:
        """What runs, each with its environment. ``env`` without the internal URLs gets this
        stack's (a service restarted from a bare environment must not look for the keys of
        another stack's auth service on the default port)."""
        env = self.internal_urls(env)
        bin_dir = os.path.dirname(sys.executable)
        # uvicorn believes X-Forwarded-For only from these peers (the gateway), as auth does.
        trusted_proxies = ",".join(parse_trusted_proxies(env.get("TRUSTED_PROXIES")))
        specs: list[ProcessSpec] = []
        for service in SERVICES:
            specs.append(
                ProcessSpec(
                    f"api-{service}",
                    [
                        os.path.join(bin_dir, "uvicorn"),
                        f"chiiki_{service}.main:app",
                        "--host",
                        self.settings.service_host,
                        "--port",
                        str(self.settings.service_port(service)),
                        "--no-access-log",
                        "--forwarded-allow-ips",
                        trusted_proxies,
                        "--timeout-graceful-shutdown",
                        "10",
                        # Explicit: uvicorn would otherwise read WEB_CONCURRENCY itself.
                        "--workers",
                        str(self.settings.web_workers(service)),
                    ],
                    pooled_env(own_env(env, service), service, self.settings.web_workers(service)),
                    REPO_ROOT,
                )
            )
            specs.append(
                ProcessSpec(
                    f"worker-{service}",
                    [
                        os.path.join(bin_dir, "celery"),
                        "-A",
                        f"chiiki_{service}.worker",
                        "worker",
                        "-Q",
                        service,
                        "-n",
                        self.worker_node(service),
                        "--concurrency",
                        str(self.settings.worker_concurrency),
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    own_env(env, service),
                    REPO_ROOT,
                )
            )
        schedule_file = self.settings.run_dir / "celerybeat-schedule"
        specs.append(
            ProcessSpec(
                "beat",
                [
                    os.path.join(bin_dir, "celery"),
                    "-A",
                    "chiiki_ingest.worker",
                    "beat",
                    "--schedule",
                    str(schedule_file),
                ],
                own_env(env, "ingest"),
                REPO_ROOT,
            )
        )
        config = gateway.render(self.settings)
        gateway.check_config(config)
        error_log = str(self.settings.log_dir / "gateway-error.log")
        nginx_argv = [gateway.nginx_binary(), "-p", str(config.parent), "-c", str(config)]
        gateway_env = own_env(env, "gateway")
        specs.append(ProcessSpec("gateway", [*nginx_argv, "-e", error_log], gateway_env, REPO_ROOT))
        return specs

    # -- health ---------------------------------------------------------------------------------

    def health(self) -> dict[str, object] | None:
        try:
            response = httpx.get(
                f"{self.gateway_url()}/api/health", timeout=5, verify=self.gateway_verify()
            )
        except httpx.HTTPError:
            return None
        return response.json() if response.status_code in (200, 503) else None

    def wait_until_healthy(
        self, env: dict[str, str] | None = None, watched: Collection[str] | None = None
    ) -> None:
        """Wait for health; fail early if a process in ``watched`` (default: all) exits."""

        def gateway_ok() -> bool:
            health = self.health()
            return bool(health and health.get("status") == "ok")

        watched = self.table.names() if watched is None else watched
        self._wait("every service to report healthy through the gateway", gateway_ok, watched)
        workers_answer = partial(self._workers_answer, env or {})
        self._wait("every worker to answer a ping", workers_answer, watched)

    def worker_node(self, service: str) -> str:
        return f"{service}@chiiki-{self.settings.gateway_port}"

    def _workers_answer(self, env: dict[str, str]) -> bool:
        from celery import Celery
        from kombu.exceptions import OperationalError
        from redis.exceptions import ConnectionError as RedisConnectionError

        redis_url = env.get("REDIS_URL") or self.settings.redis_url or infra.LOCAL_REDIS_URL
        prefix = env.get("REDIS_KEY_PREFIX", "chiiki:")
        app = Celery(broker=redis_url, set_as_current=False)
        app.conf.broker_transport_options = {"global_keyprefix": prefix}
        try:
            replies = app.control.ping(timeout=1.0)
        except (OSError, RedisConnectionError, OperationalError):
            # Redis restarting (or just restarted) drops the ping's connection: not ready yet,
            # ask again until the deadline rather than failing `make up`.
            return False
        finally:
            app.close()
        answered = {node for reply in replies or [] for node in reply}
        return all(self.worker_node(service) in answered for service in SERVICES)

    def _wait(self, what: str, ready: Callable[[], bool], watched: Collection[str]) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_seconds
        while time.monotonic() < deadline:
            self._fail_on_exited(watched)
            if ready():
                return
            time.sleep(0.3)
        raise StackFailed(
            f"timed out after {self.settings.start_timeout_seconds:g}s waiting for {what}"
        )

    def _fail_on_exited(self, watched: Collection[str]) -> None:
        for name in watched:
            if self.table.running(name) is None:
                raise StackFailed(f"{name} exited during start-up; see {self.table.log_path(name)}")

    # -- stopping -------------------------------------------------------------------------------

    def down(self) -> list[str]:
        def order(name: str) -> int:
            return next(
                (i for i, prefix in enumerate(STOP_ORDER_PREFIXES) if name.startswith(prefix)),
                len(STOP_ORDER_PREFIXES),
            )

        return [name for name in sorted(self.table.names(), key=order) if self.table.stop(name)]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
