"""A Redis and a PostgreSQL that one test starts itself, to stop and start them at will.

Fault tests (an outage, a restart) must not touch the servers the rest of the run shares, so each
of these runs from its own throwaway folder on a free port, as a child process whose handle we
keep: ``stop()`` ends exactly that process, never one found by name.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _wait_until(condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not condition():
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} while starting")
        if time.monotonic() >= deadline:
            raise RuntimeError(f"{what} did not answer within {START_TIMEOUT_SECONDS:g}s")
        time.sleep(0.05)


class OwnServer:
    """A server process on a fixed port that survives being stopped and started again."""

    name = "server"
    stop_signal = signal.SIGTERM

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix=f"chiiki-own-{self.name}-"))
        self.folder.chmod(0o711)  # an unprivileged server user must reach its data below it
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def argv(self) -> list[str]:
        raise NotImplementedError

    def user(self) -> str | None:
        return None

    def ready(self) -> bool:
        return _port_answers(self.port)

    def start(self) -> None:
        if self.running:
            return
        log = (self.folder / f"{self.name}.log").open("ab")
        self._process = subprocess.Popen(  # noqa: S603 - our own fixed command
            self.argv(),
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.folder,
            user=self.user(),
            start_new_session=True,
        )
        log.close()
        _wait_until(self.ready, self.name, self._process)

    def stop(self) -> None:
        """Stop the process we started and wait until its port is closed."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(self.stop_signal)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


class OwnRedis(OwnServer):
    """``redis-server`` without persistence: a restart comes back empty, as an outage may."""

    name = "redis"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        executable = shutil.which("redis-server")
        if executable is None:
            raise RuntimeError("redis-server is not installed")
        return [
            executable,
            *("--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.folder)),
            *("--save", "", "--appendonly", "no"),
        ]

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def postgres_bin_dir() -> Path:
    """Where ``initdb`` and ``postgres`` are: on PATH, Debian's folder, or pgserver's."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if debian:
        return Path(debian[-1]).parent
    try:
        import pgserver
    except ImportError:
        raise RuntimeError("no PostgreSQL binaries (initdb) found") from None
    return Path(pgserver.__file__).parent / "pginstall" / "bin"


class OwnPostgres(OwnServer):
    """A fresh PostgreSQL cluster (trust auth); as root it runs as ``nobody``."""

    name = "postgres"
    stop_signal = signal.SIGINT  # "fast" shutdown: open connections are cut, as in an outage

    def __init__(self) -> None:
        super().__init__()
        self.bin_dir = postgres_bin_dir()
        self.data_dir = self.folder / "data"
        self.data_dir.mkdir()
        user = self.user()
        if user:
            shutil.chown(self.data_dir, user)
        subprocess.run(  # noqa: S603 - our own fixed command
            [
                *(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres"),
                *("--auth=trust", "--no-sync"),
            ],
            check=True,
            capture_output=True,
            user=self.user(),
        )

    def admin_url(self, database: str = "chiiki") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def user(self) -> str | None:
        return "nobody" if os.geteuid() == 0 else None

    def argv(self) -> list[str]:
        return [
            str(self.bin_dir / "postgres"),
            *("-D", str(self.data_dir), "-h", "127.0.0.1", "-p", str(self.port)),
            *("-k", str(self.data_dir), "-c", "fsync=off"),
        ]

    def ready(self) -> bool:
        if not _port_answers(self.port):
            return False
        probe = subprocess.run(  # noqa: S603 - our own fixed command
            [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
            capture_output=True,
            check=False,
        )
        return probe.returncode == 0
