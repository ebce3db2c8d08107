"""A real replay server (uvicorn in a subprocess) over table files built from the recordings.

Tables are written to a temporary folder from the real responses in recordings/raw. Three of them
are test-only variants, marked as such in their titles: `quirks-marks` (0003146500 with some values
swapped for NOTE marks and for undeclared text), `quirks-units` (0003005798 with `@unit` removed
from every VALUE) and `synthetic-cap` (0003445099's rows repeated under 8 made-up time codes, only
to have more than 100,000 rows). No other test data is invented.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chiiki_ingest.estat import EStatClient

RAW = Path(__file__).resolve().parents[1] / "recordings" / "raw"
APP_ID = "test-appid-7c1e9a4b2d"
CENSUS = "getStatsData_v3.0_0003445099_census2020_all_areas_raw.json"
SCHOOL = "getStatsData_v3.0_0003146500_school_health_raw.json"
LABOUR = "getStatsData_v3.0_0003005798_labour_force_2024-01_from_tsx.json"
PAGE_RECORDING = "getStatsData_v3.0_0000020202_ssds_municipal_limit10_nextkey.json"
LIST_RECORDING = "getStatsList_census2015_limit10_nextkey.json"
META_RECORDING = "getMetaInfo_v3.0_0004021110_jinkou_suikei_prefectures_raw.json"
LEGACY_RECORDING = "estatapi_getMetaInfo_v2.1_0003065345.json"
TEST_ONLY = "【テスト専用の加工データ・実データではない】"
# (cat01, cat02, cat04, time) of a 0003146500 cell -> the text that replaces its value.
MARKED_CELLS = {
    ("60", "10", "0000010", "2019100000"): "－",
    ("60", "10", "0000010", "2018100000"): "***",
    ("60", "10", "0000010", "2017100000"): "X",
    ("60", "10", "0000010", "2016100000"): "0.00",
    ("60", "10", "0000010", "2015100000"): "abc",
    ("110", "10", "0000010", "2019100000"): "1,234",
}


def load_raw(name: str) -> dict[str, Any]:
    return json.loads((RAW / name).read_text(encoding="utf-8"))


def data_of(document: dict[str, Any]) -> dict[str, Any]:
    return document["GET_STATS_DATA"]["STATISTICAL_DATA"]


def _write_table(folder: Path, stats_data_id: str, document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=True, separators=(",", ":"))
    with gzip.open(folder / f"{stats_data_id}.json.gz", "wt", encoding="utf-8") as handle:
        handle.write(text)


def _relabelled(document: dict[str, Any], stats_data_id: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    inf = data_of(changed)["TABLE_INF"]
    inf["@id"] = stats_data_id
    inf["TITLE"]["$"] = TEST_ONLY + inf["TITLE"]["$"]
    return changed


def _quirks_marks() -> dict[str, Any]:
    document = _relabelled(load_raw(SCHOOL), "quirks-marks")
    for value in data_of(document)["DATA_INF"]["VALUE"]:
        key = (value["@cat01"], value["@cat02"], value["@cat04"], value["@time"])
        value["$"] = MARKED_CELLS.get(key, value["$"])
    return document


def _quirks_units() -> dict[str, Any]:
    document = _relabelled(load_raw(LABOUR), "quirks-units")
    for value in data_of(document)["DATA_INF"]["VALUE"]:
        del value["@unit"]
    return document


def _synthetic_cap() -> dict[str, Any]:
    document = _relabelled(load_raw(CENSUS), "synthetic-cap")
    data = data_of(document)
    times = [f"{year}000000" for year in range(2013, 2021)]
    time_obj = next(o for o in data["CLASS_INF"]["CLASS_OBJ"] if o["@id"] == "time")
    time_obj["CLASS"] = [{"@code": t, "@name": f"{t[:4]}年", "@level": "1"} for t in times]
    rows = data["DATA_INF"]["VALUE"]
    data["DATA_INF"]["VALUE"] = [{**row, "@time": t} for t in times for row in rows]
    return document


@pytest.fixture(scope="session")
def recordings_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("recordings")
    tables, raw = root / "tables", root / "raw"
    tables.mkdir()
    raw.mkdir()
    _write_table(tables, "0003445099", load_raw(CENSUS))
    _write_table(tables, "0003146500", load_raw(SCHOOL))
    _write_table(tables, "quirks-marks", _quirks_marks())
    _write_table(tables, "quirks-units", _quirks_units())
    _write_table(tables, "synthetic-cap", _synthetic_cap())
    # 0003005798 stays a recording only: a table narrowed to January 2024.
    for name in (PAGE_RECORDING, LIST_RECORDING, META_RECORDING, LABOUR, LEGACY_RECORDING):
        shutil.copy(RAW / name, raw / name)
    return root


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ReplayServer:
    """The running server and its control API."""

    def __init__(self, base: str, process: subprocess.Popen[bytes]) -> None:
        self.base = base
        self.process = process
        self.api = f"{base}/rest/3.0/app/json"
        self.control = httpx.Client(base_url=f"{base}/_replay", timeout=10)

    def faults(self, *faults: dict[str, Any]) -> None:
        self.control.post("/faults", json=list(faults)).raise_for_status()

    def requests(self, endpoint: str | None = None) -> list[dict[str, Any]]:
        entries = self.control.get("/requests").json()["requests"]
        return [e for e in entries if endpoint is None or e["endpoint"] == endpoint]

    def auth_failure(self, mode: str) -> None:
        self.control.put("/config", json={"auth_failure": mode}).raise_for_status()

    def reset(self) -> None:
        self.control.delete("/faults").raise_for_status()
        self.control.delete("/requests").raise_for_status()
        self.auth_failure("json")

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])


@pytest.fixture(scope="session")
def replay_server(recordings_dir: Path) -> Iterator[ReplayServer]:
    port = _free_port()
    log_path = recordings_dir / "server.log"
    command = [sys.executable, "-m", "chiiki_ingest.replay", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--recordings", str(recordings_dir), "--app-id", APP_ID]
    command += ["--log-level", "warning"]
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, env=os.environ
        )
    server = ReplayServer(f"http://127.0.0.1:{port}", process)
    try:
        _wait_until_ready(server, log_path)
        yield server
    finally:
        server.control.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(server: ReplayServer, log_path: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"replay server exited: {log_path.read_text()}")
        try:
            if server.control.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("replay server did not become ready")


@pytest.fixture
def replay(replay_server: ReplayServer) -> ReplayServer:
    """The server with no faults, an empty request log and JSON auth failures."""
    replay_server.reset()
    return replay_server


@pytest.fixture
async def client(replay: ReplayServer) -> AsyncIterator[EStatClient]:
    async with EStatClient(
        replay.api,
        APP_ID,
        timeout=2.0,
        max_attempts=4,
        max_retry_seconds=10.0,
        backoff_initial=0.01,
        backoff_max=0.05,
    ) as estat:
        yield estat


@pytest.fixture
async def http(replay: ReplayServer) -> AsyncIterator[httpx.AsyncClient]:
    """A plain HTTP client sending the valid appId, for checking the server's bytes."""
    async with httpx.AsyncClient(
        base_url=replay.base, params={"appId": APP_ID}, timeout=10
    ) as plain:
        yield plain


@pytest.fixture
def app_id() -> str:
    return APP_ID


@pytest.fixture
def raw_dir() -> Path:
    """The recorded e-Stat answers shipped in the repository."""
    return RAW
