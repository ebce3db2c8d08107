"""The soak's own PostgreSQL and Redis, on free ports under its run folder: the soak stops and
restarts them, so they are never the machine's shared servers.

PostgreSQL comes from Debian's binaries (``/usr/lib/postgresql/<major>/bin``, the newest) or,
without them, from the pgserver package the devstack's embedded mode uses; as root it runs as
``nobody`` (PostgreSQL refuses root). Redis keeps an append-only file, as a deployment would, so a
restart keeps what was written (the bus's queues included).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from chiiki_devstack.infra import port_answers
from chiiki_devstack.processes import ProcessSpec, ProcessTable


def postgres_bin() -> Path:
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3])
    )
    if debian:
        return debian[-1].parent
    try:
        import pgserver  # type: ignore[import-not-found]
    except ImportError as exc:
        raise SystemExit(
            "no PostgreSQL binaries: apt-get install postgresql (or pip install pgserver)"
        ) from exc
    return Path(pgserver.__file__).parent / "pginstall" / "bin"


@dataclass
class Servers:
    table: ProcessTable
    postgres: ProcessSpec
    redis: ProcessSpec
    pg_port: int
    redis_port: int

    @property
    def database_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}/chiiki"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def start(self) -> None:
        self.start_postgres()
        self.start_redis()

    def start_postgres(self) -> None:
        self.table.start(self.postgres)
        _wait_port(self.pg_port, "PostgreSQL")

    def start_redis(self) -> None:
        self.table.start(self.redis)
        _wait_port(self.redis_port, "Redis")

    def stop_postgres(self) -> None:
        """A fast shutdown (SIGINT): connections are cut at once, as in an outage."""
        running = self.table.running("postgres")
        if running is None:
            return
        os.kill(running.pid, signal.SIGINT)
        try:
            psutil.Process(running.pid).wait(timeout=60)
        except psutil.TimeoutExpired:
            self.table.stop("postgres")

    def stop_redis(self) -> None:
        self.table.stop("redis")

    def stop(self) -> None:
        self.stop_redis()
        self.stop_postgres()
        self.table.stop("postgres")


def _wait_port(port: int, what: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while not port_answers("127.0.0.1", port, timeout=0.5):
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not accept connections on {port} within {within:g}s")
        time.sleep(0.2)


def make_servers(run_dir: Path, table: ProcessTable, pg_port: int, redis_port: int) -> Servers:
    user = "nobody" if os.geteuid() == 0 else None
    bin_dir = postgres_bin()
    data = run_dir / "postgres"
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(data, user)
        subprocess.run(  # noqa: S603 - fixed command
            [str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
            check=True,
            capture_output=True,
            user=user,
        )
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"}
    pg_argv = [str(bin_dir / "postgres"), "-D", str(data), "-h", "127.0.0.1"]
    pg_argv += ["-p", str(pg_port), "-k", str(data), "-c", "max_connections=200"]
    redis_dir = run_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    redis_argv = [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1"]
    redis_argv += ["--port", str(redis_port), "--dir", str(redis_dir), "--save", ""]
    redis_argv += ["--appendonly", "yes", "--appendfsync", "everysec"]
    return Servers(
        table,
        ProcessSpec("postgres", pg_argv, env, run_dir, user=user),
        ProcessSpec("redis", redis_argv, env, run_dir),
        pg_port,
        redis_port,
    )
