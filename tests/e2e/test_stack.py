"""`make up` is safe to run twice and brings back what crashed, `make ps` shows what crashed,
and `make down` stops exactly what it started."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

from chiiki_devstack import cli
from chiiki_devstack.processes import ProcessSpec, ProcessTable
from chiiki_devstack.pytest_plugin import separate_stack
from chiiki_devstack.stack import Stack

pytestmark = pytest.mark.e2e


def pids(stack: Stack) -> dict[str, int]:
    return {name: stack.table.running(name).pid for name in stack.table.names()}


def test_up_again_leaves_running_processes_alone(stack: Stack) -> None:
    before = pids(stack)
    stack.up()
    assert pids(stack) == before
    services = ("auth", "stats", "ingest", "analytics")
    expected = {f"api-{name}" for name in services} | {f"worker-{name}" for name in services}
    assert set(before) == expected | {"beat", "gateway", "replay"}


def ps_lines(stack: Stack, capsys: pytest.CaptureFixture[str]) -> dict[str, list[str]]:
    """``make ps``'s process lines: name -> [pid, state, ...]."""
    cli.ps(stack)
    names = set(stack.table.names())
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    return {row[0]: row[1:] for row in rows if row and row[0] in names}


def test_up_after_a_crash_restarts_exactly_what_died(platform, capsys) -> None:
    with separate_stack(platform) as own:
        before = pids(own)
        killed = {name: before[name] for name in ("api-stats", "worker-ingest")}
        pool = psutil.Process(killed["worker-ingest"]).children()
        assert pool  # the Celery pool process, left behind when its parent is killed
        for pid in killed.values():
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while not all(own.table.crashed(name) for name in killed):
            assert time.monotonic() < deadline, "the killed processes still look alive"
            time.sleep(0.05)

        shown = ps_lines(own, capsys)
        for name, pid in killed.items():
            assert shown[name][:4] == [str(pid), "crashed", "last", "log"], shown[name]
        assert {name: row[:2] for name, row in shown.items() if name not in killed} == {
            name: [str(pid), "up"] for name, pid in before.items() if name not in killed
        }

        started = time.monotonic()
        restarted = own.up()
        recovery = time.monotonic() - started

        after = pids(own)
        assert sorted(restarted) == sorted(killed)
        assert set(after) == set(before)
        assert {name for name in after if after[name] != before[name]} == set(killed)
        assert own.health()["status"] == "ok"
        assert not any(process.is_running() for process in pool)
        assert all(row[1] == "up" for row in ps_lines(own, capsys).values())
        print(f"recovered in {recovery:.1f}s")


def test_down_never_stops_a_process_it_did_not_start(tmp_path) -> None:
    table = ProcessTable(tmp_path / "pids", tmp_path / "logs")
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # A pid file naming a live process that started at another time: a reused pid.
        (tmp_path / "pids").mkdir()
        record = {"pid": stranger.pid, "started_at": time.time() - 3600, "argv": ["x"]}
        (tmp_path / "pids" / "ghost.json").write_text(json.dumps(record))
        assert table.running("ghost") is None
        assert table.stop("ghost") is False
        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()


def test_stop_ends_the_whole_process_group(tmp_path) -> None:
    table = ProcessTable(tmp_path / "pids", tmp_path / "logs")
    script = (
        "import subprocess, sys, time;"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
        "time.sleep(60)"
    )
    running = table.start(ProcessSpec("parent", [sys.executable, "-c", script], {}, tmp_path))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not psutil.Process(running.pid).children():
        time.sleep(0.05)
    [child] = psutil.Process(running.pid).children()
    assert table.stop("parent") is True
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert table.names() == []


def test_a_broker_that_drops_the_ping_is_not_ready_yet(tmp_path, monkeypatch) -> None:
    """A Redis that has just restarted can close the ping's connection: `make up` keeps asking
    until its deadline instead of failing (it did in the soak, right after an outage)."""
    monkeypatch.setenv("RUN_DIR", str(tmp_path))
    with _closing_listener() as port:
        dropping = {"REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        assert Stack.from_env()._workers_answer(dropping) is False


@contextlib.contextmanager
def _closing_listener() -> Iterator[int]:
    """A port whose every connection is closed as soon as it is accepted; joined on exit."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def close_every_connection() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                listener.accept()[0].close()

    thread = threading.Thread(target=close_every_connection, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        listener.close()
