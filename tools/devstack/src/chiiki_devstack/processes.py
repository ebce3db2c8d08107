"""Background processes that ``make up`` starts and ``make down`` stops: exactly those, no others.

Each process gets its own session (so its children stop with it), a log file, and a pid file that
records its start time: a pid reused by some unrelated process is never mistaken for ours.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

STOP_GRACE_SECONDS = 15.0


@dataclass(frozen=True)
class ProcessSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: Path
    user: str | None = None  # run as this user (PostgreSQL refuses to run as root)


@dataclass(frozen=True)
class Running:
    name: str
    pid: int
    started_at: float


class ProcessTable:
    """Pid files under ``pid_dir``, logs under ``log_dir``."""

    def __init__(self, pid_dir: Path, log_dir: Path) -> None:
        self.pid_dir = pid_dir
        self.log_dir = log_dir

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def _pid_path(self, name: str) -> Path:
        return self.pid_dir / f"{name}.json"

    def running(self, name: str) -> Running | None:
        """The live process recorded under ``name``, if it is still the one we started."""
        path = self._pid_path(name)
        try:
            record = json.loads(path.read_text())
            process = psutil.Process(record["pid"])
            if abs(process.create_time() - record["started_at"]) > 1 or not process.is_running():
                return None
            if process.status() == psutil.STATUS_ZOMBIE:
                return None
        except (OSError, ValueError, KeyError, psutil.Error):
            return None
        return Running(name, record["pid"], record["started_at"])

    def names(self) -> list[str]:
        return sorted(path.stem for path in self.pid_dir.glob("*.json"))

    def start(self, spec: ProcessSpec) -> Running:
        current = self.running(spec.name)
        if current:
            return current
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path(spec.name).open("ab") as log:
            process = subprocess.Popen(  # noqa: S603 - argv is built by this package, not by users
                list(spec.argv),
                cwd=spec.cwd,
                env=dict(spec.env),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=spec.user,
            )
        started_at = psutil.Process(process.pid).create_time()
        record = {"pid": process.pid, "started_at": started_at, "argv": list(spec.argv)}
        self._pid_path(spec.name).write_text(json.dumps(record))
        return Running(spec.name, process.pid, started_at)

    def stop(self, name: str) -> bool:
        """Stop the process group recorded under ``name``; ``True`` if something was stopped."""
        current = self.running(name)
        self._pid_path(name).unlink(missing_ok=True)
        if current is None:
            return False
        _signal_group(current.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while time.monotonic() < deadline and _group_alive(current.pid):
            time.sleep(0.1)
        if _group_alive(current.pid):
            _signal_group(current.pid, signal.SIGKILL)
        return True


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(process.info["pid"]) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.Error):
            continue
    return False
