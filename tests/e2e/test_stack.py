"""`make up` is safe to run twice, and `make down` stops exactly what it started."""

import json
import subprocess
import sys
import time

import psutil
import pytest

from chiiki_devstack.processes import ProcessSpec, ProcessTable
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
