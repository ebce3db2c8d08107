"""Background processes that ``make up`` starts and ``make down`` stops: exactly those, no others.

Each process gets its own session (so its children stop with it), a log file, and a pid file that
records its start time: a pid reused by some unrelated process is never mistaken for ours.
A pid file whose process is gone, without ``stop`` having removed it, is a crash: ``crashed`` says
so (with the last line of its log) and ``start`` starts it again, after ending whatever its
process group left behind (an nginx worker still holding the port, a Celery pool process).
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
from typing import Any

import psutil

STOP_GRACE_SECONDS = 15.0
# What a crashed process left behind is ended faster: it has no leader left to wait for.
LEFTOVER_GRACE_SECONDS = 5.0
LAST_LOG_BYTES = 8192


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


@dataclass(frozen=True)
class Crashed:
    """A process we started that is gone although nobody stopped it."""

    name: str
    pid: int
    started_at: float
    last_log_line: str | None


class ProcessTable:
    """Pid files under ``pid_dir``, logs under ``log_dir``."""

    def __init__(self, pid_dir: Path, log_dir: Path) -> None:
        self.pid_dir = pid_dir
        self.log_dir = log_dir

    def log_path(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def _pid_path(self, name: str) -> Path:
        return self.pid_dir / f"{name}.json"

    def _record(self, name: str) -> Running | None:
        """What the pid file of ``name`` says, whether or not that process still lives."""
        try:
            record = json.loads(self._pid_path(name).read_text())
            return Running(name, int(record["pid"]), float(record["started_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def running(self, name: str) -> Running | None:
        """The live process recorded under ``name``, if it is still the one we started."""
        record = self._record(name)
        return record if record is not None and _is_alive(record) else None

    def crashed(self, name: str) -> Crashed | None:
        """The process recorded under ``name`` if it is gone without ``stop`` having ended it."""
        record = self._record(name)
        if record is None or _is_alive(record):
            return None
        return Crashed(name, record.pid, record.started_at, self.last_log_line(name))

    def last_log_line(self, name: str) -> str | None:
        try:
            with self.log_path(name).open("rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - LAST_LOG_BYTES))
                lines = log.read().decode(errors="replace").splitlines()
        except OSError:
            return None
        return next((line.strip() for line in reversed(lines) if line.strip()), None)

    def names(self) -> list[str]:
        return sorted(path.stem for path in self.pid_dir.glob("*.json"))

    def start(self, spec: ProcessSpec) -> Running:
        current = self.running(spec.name)
        if current:
            return current
        self._end_leftovers(spec.name)
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
        # Popen returns once the program is exec'd, so this is the program's own executable.
        started = psutil.Process(process.pid)
        started_at = started.create_time()
        exe = None
        with contextlib.suppress(psutil.Error):  # it may have exited already
            exe = started.exe()
        record = {"pid": process.pid, "started_at": started_at, "exe": exe, "argv": list(spec.argv)}
        self._pid_path(spec.name).write_text(json.dumps(record))
        return Running(spec.name, process.pid, started_at)

    def stop(self, name: str) -> bool:
        """Stop the process group recorded under ``name``; ``True`` if something was stopped."""
        current = self.running(name)
        if current is None:
            self._end_leftovers(name)
            self._pid_path(name).unlink(missing_ok=True)
            return False
        self._pid_path(name).unlink(missing_ok=True)
        _stop_group(current.pid, STOP_GRACE_SECONDS)
        return True

    def _end_leftovers(self, name: str) -> None:
        """Stop what the crashed process ``name`` left in its process group."""
        try:
            record = json.loads(self._pid_path(name).read_text())
        except (OSError, ValueError):
            return
        leftovers = _leftovers(record)
        for process in leftovers:
            with contextlib.suppress(psutil.Error):
                process.terminate()
        _, alive = psutil.wait_procs(leftovers, timeout=LEFTOVER_GRACE_SECONDS)
        for process in alive:
            with contextlib.suppress(psutil.Error):
                process.kill()


def _is_alive(record: Running) -> bool:
    try:
        process = psutil.Process(record.pid)
        return (
            abs(process.create_time() - record.started_at) <= 1
            and process.is_running()
            and process.status() != psutil.STATUS_ZOMBIE
        )
    except psutil.Error:
        return False


def _leftovers(record: dict[str, Any]) -> list[psutil.Process]:
    """Live processes of a crashed process's group: in its group, running its program, started
    after it. A pid number reused since by an unrelated process cannot pass all three."""
    try:
        pgid, started_at = int(record["pid"]), float(record["started_at"])
    except (KeyError, TypeError, ValueError):
        return []
    found = []
    for process in psutil.process_iter(["exe", "create_time", "status"]):
        try:
            if (
                process.pid != pgid
                and os.getpgid(process.pid) == pgid
                and process.info["status"] != psutil.STATUS_ZOMBIE
                and process.info["create_time"] >= started_at - 1
                and process.info["exe"] == (record.get("exe") or process.info["exe"])
            ):
                found.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return found


def _stop_group(pgid: int, grace: float) -> None:
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _group_alive(pgid):
        time.sleep(0.1)
    if _group_alive(pgid):
        _signal_group(pgid, signal.SIGKILL)


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
