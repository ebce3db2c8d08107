"""The ingestion pipeline against real processes: a replay server over a temporary copy of the
recorded tables, real Celery workers for ingest and stats (subprocesses), this run's PostgreSQL and
Redis, and the ingest API in-process with real ES256 admin tokens.

The workers use a Redis key prefix of their own under this run's, so nothing else consuming the
`ingest` queue in the same test session (the e2e stack) can take these tests' tasks.

Test tables are copies of the recorded tables in `recordings/tables` under ids of their own
(`t-...`); tests that need an anomaly edit such a copy in the temporary folder and say so.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import psycopg
import pytest
import sqlalchemy as sa
from celery import Celery
from cryptography.hazmat.primitives.asymmetric import ec

from chiiki_devstack.pytest_plugin import Platform, free_port, load_revocations, serve_app
from chiiki_ingest.config import IngestSettings
from chiiki_ingest.main import create_app
from chiiki_shared.runtime import Runtime
from chiiki_shared.security import (
    GUARD_EXTRA,
    AccessTokenVerifier,
    RevocationList,
    TokenGuard,
)

TABLES = Path(__file__).resolve().parents[2] / "recordings" / "tables"
APP_ID = "pipeline-test-app-id"
PAGE_SIZE = 20_000
TOKEN_KID = "pipeline-test-key"


# -- the recorded tables ------------------------------------------------------------------------


@cache
def _recorded_text(stats_data_id: str) -> str:
    return gzip.decompress((TABLES / f"{stats_data_id}.json.gz").read_bytes()).decode()


def recorded(stats_data_id: str) -> dict[str, Any]:
    """A fresh copy of a recorded table's getStatsData document, to read or edit."""
    return json.loads(_recorded_text(stats_data_id))


def statistical_data(document: dict[str, Any]) -> dict[str, Any]:
    return document["GET_STATS_DATA"]["STATISTICAL_DATA"]


def values_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return statistical_data(document)["DATA_INF"]["VALUE"]


def set_values(document: dict[str, Any], values: list[dict[str, Any]]) -> None:
    data = statistical_data(document)
    data["DATA_INF"]["VALUE"] = values
    for key in ("TOTAL_NUMBER", "TO_NUMBER"):
        data["RESULT_INF"][key] = len(values)


def source_cells(document: dict[str, Any]) -> dict[tuple[str, ...], tuple[Any, Any, Any]]:
    """Every cell as the source states it, read straight from the JSON (not through our code):
    (non-area/time codes..., area, time) -> (Decimal value or None, mark or None, unit)."""
    data = statistical_data(document)
    objs = data["CLASS_INF"]["CLASS_OBJ"]
    objs = objs if isinstance(objs, list) else [objs]
    class_units: dict[tuple[str, str], str] = {}
    for obj in objs:
        items = obj["CLASS"] if isinstance(obj["CLASS"], list) else [obj["CLASS"]]
        for item in items:
            if item.get("@unit"):
                class_units[(obj["@id"], item["@code"])] = item["@unit"]
    notes = data["DATA_INF"].get("NOTE") or []
    notes = notes if isinstance(notes, list) else [notes]
    declared = {note["@char"] for note in notes}
    cells = {}
    for value in data["DATA_INF"]["VALUE"]:
        codes = {k[1:]: v for k, v in value.items() if k.startswith("@") and k != "@unit"}
        series = tuple(
            f"{dim}={code}" for dim, code in sorted(codes.items()) if dim not in ("area", "time")
        )
        key = (*series, codes.get("area", ""), codes.get("time", ""))
        unit = value.get("@unit") or next(
            (class_units[(d, c)] for d, c in codes.items() if (d, c) in class_units), None
        )
        raw = value["$"]
        number = _number(raw)
        mark = raw if (number is None or raw in declared) else None
        cells[key] = (number, mark, unit)
    return cells


def _number(raw: str) -> Decimal | None:
    if raw.lstrip("-").replace(".", "", 1).isdigit():
        return Decimal(raw)
    return None


# -- the replay server --------------------------------------------------------------------------


class Source:
    """The replay server these tests read e-Stat from, and its tables folder."""

    def __init__(self, root: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        self.root = root
        self.tables = root / "tables"
        self.base = f"http://127.0.0.1:{port}"
        self.api = f"{self.base}/rest/3.0/app/json"
        self.process = process
        self.control = httpx.Client(base_url=f"{self.base}/_replay", timeout=10)

    def put(self, stats_data_id: str, document: dict[str, Any]) -> dict[str, Any]:
        """Serve ``document`` as ``stats_data_id`` from now on (the replay looks files up on
        every request and reloads a file whose modification time changed)."""
        statistical_data(document)["TABLE_INF"]["@id"] = stats_data_id
        path = self.tables / f"{stats_data_id}.json.gz"
        data = gzip.compress(json.dumps(document, ensure_ascii=True).encode(), mtime=0)
        previous = path.stat().st_mtime_ns if path.exists() else 0
        path.write_bytes(data)
        stamp = max(time.time_ns(), previous + 1_000_000_000)
        os.utime(path, ns=(stamp, stamp))
        return document

    def copy(self, recorded_id: str, stats_data_id: str) -> dict[str, Any]:
        return self.put(stats_data_id, recorded(recorded_id))

    def faults(self, *faults: dict[str, Any]) -> None:
        self.control.post("/faults", json=list(faults)).raise_for_status()

    def clear_faults(self) -> None:
        self.control.delete("/faults").raise_for_status()

    def requests(self, stats_data_id: str) -> list[dict[str, Any]]:
        entries = self.control.get("/requests").json()["requests"]
        return [e for e in entries if e["params"].get("statsDataId") == stats_data_id]


@pytest.fixture(scope="package")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    root = tmp_path_factory.mktemp("estat")
    (root / "tables").mkdir()
    (root / "raw").mkdir()
    port = free_port()
    log = (root / "replay.log").open("wb")
    argv = [sys.executable, "-m", "chiiki_ingest.replay", "--host", "127.0.0.1"]
    argv += ["--port", str(port), "--recordings", str(root), "--log-level", "warning"]
    process = subprocess.Popen(
        argv,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ESTAT_REPLAY_APP_ID": APP_ID},
    )
    server = Source(root, port, process)
    try:
        _wait(lambda: _answers(server), "the replay server", process)
        yield server
    finally:
        server.control.close()
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _answers(server: Source) -> bool:
    try:
        return server.control.get("/health").status_code == 200
    except httpx.TransportError:
        return False


def _wait(ready: Callable[[], bool], what: str, process: Any = None, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout}s")


# -- an alert receiver --------------------------------------------------------------------------


@dataclass
class AlertReceiver:
    url: str
    received: list[dict[str, Any]] = field(default_factory=list)

    def for_run(self, run_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [alert for alert in self.received if alert.get("run_id") == run_id]
            if found:
                return found[0]
            time.sleep(0.1)
        raise AssertionError(f"no alert for run {run_id}; got {self.received}")


@pytest.fixture(scope="package")
def alerts() -> Iterator[AlertReceiver]:
    """A webhook endpoint on 127.0.0.1 that records every JSON body POSTed to it."""
    receiver = AlertReceiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            receiver.received.append(json.loads(self.rfile.read(length)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/ingest"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


# -- workers ------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def bus_env(platform: Platform, source: Source, alerts: AlertReceiver) -> dict[str, str]:
    """The environment of this package's workers and in-process app."""
    return {
        **platform.env,
        "REDIS_KEY_PREFIX": f"{platform.redis_key_prefix}pipeline:",
        "ESTAT_API_BASE_URL": source.api,
        "ESTAT_APP_ID": APP_ID,
        "INGEST_PAGE_SIZE": str(PAGE_SIZE),
        "INGEST_HEARTBEAT_SECONDS": "0.5",
        "INGEST_STALE_RUN_SECONDS": "2",
        "INGEST_QUEUED_TIMEOUT_SECONDS": "3",
        "INGEST_ESTAT_MAX_ATTEMPTS": "2",
        "INGEST_ESTAT_MAX_RETRY_SECONDS": "5",
        # No test waits for this timeout; it only has to outlast a slow page on a loaded machine.
        "INGEST_ESTAT_TIMEOUT_SECONDS": "30",
        "INGEST_ALERT_WEBHOOK_URL": alerts.url,
        "INGEST_METRICS_REFRESH_SECONDS": "0.5",
        "STATS_PUBLISH_RETRY_SECONDS": "1",
        "LOG_FORMAT": "json",
    }


class Workers:
    """Celery worker subprocesses, each in its own process group."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.app = Celery(broker=env["REDIS_URL"], set_as_current=False)
        self.app.conf.broker_transport_options = {"global_keyprefix": env["REDIS_KEY_PREFIX"]}
        self.started: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, service: str, name: str, *, concurrency: int = 1) -> subprocess.Popen[bytes]:
        node = f"{name}@pipeline-{os.getpid()}"
        argv = [sys.executable, "-m", "celery", "-A", f"chiiki_{service}.worker", "worker"]
        argv += ["-Q", service, "-n", node, "--concurrency", str(concurrency)]
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        log = (self.log_dir / f"{name}.log").open("ab")
        process = subprocess.Popen(
            argv, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.started[name] = process
        # A worker that dies is reported at once; a live one may take long to import its tasks
        # on a loaded machine, and waiting longer costs nothing when it is quick.
        _wait(lambda: self._answers(node), f"worker {node}", process, timeout=120)
        return process

    def _answers(self, node: str) -> bool:
        replies = self.app.control.ping(destination=[node], timeout=0.5)
        return any(node in reply for reply in replies)

    def stop(self, name: str) -> None:
        process = self.started.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def kill(self, name: str) -> None:
        """SIGKILL the worker and its pool children at once, as an OOM killer or a lost host."""
        process = self.started.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text(errors="replace")

    async def until_logged(self, name: str, event: str, run_id: str, within: float = 120) -> None:
        """Until worker ``name`` has logged ``event`` for the run (JSON log lines)."""
        deadline = time.monotonic() + within
        while not any(
            f'"{event}"' in line and run_id in line for line in self.log(name).splitlines()
        ):
            if time.monotonic() > deadline:
                raise AssertionError(f"worker {name} never logged {event} for run {run_id}")
            await asyncio.sleep(0.1)

    def send(self, task: str, payload: dict[str, Any]) -> None:
        self.app.send_task(task, args=[payload], queue=task.split(".", 1)[0])

    def close(self) -> None:
        for name in list(self.started):
            self.stop(name)
        self.app.close()


@pytest.fixture(scope="package")
def workers(bus_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workers]:
    """An ingest worker (two pool processes: a run and stats' answer can overlap) and a stats
    worker, for the whole package; tests may stop, kill and start workers of their own."""
    pool = Workers(bus_env, tmp_path_factory.mktemp("worker-logs"))
    try:
        pool.start("stats", "stats", concurrency=1)
        pool.start("ingest", "ingest", concurrency=2)
        yield pool
    finally:
        pool.close()


# -- the API in-process, with admin tokens ------------------------------------------------------


@pytest.fixture(scope="package")
def settings(bus_env: dict[str, str]) -> IngestSettings:
    return IngestSettings(
        REDIS_KEY_PREFIX=bus_env["REDIS_KEY_PREFIX"],
        ESTAT_API_BASE_URL=bus_env["ESTAT_API_BASE_URL"],
        ESTAT_APP_ID=APP_ID,
        page_size=PAGE_SIZE,
        metrics_refresh_seconds=0.5,
        # The watchdog's pass at start-up only: tests run its passes themselves.
        schedule_watch_seconds=3600,
    )


class TestKeys:
    """A signing key of these tests and the ``KeySource`` that knows it."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())

    async def get(self, kid: str) -> Any | None:
        return self.private_key.public_key() if kid == TOKEN_KID else None

    def token(self, settings: IngestSettings, role: str) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            "sub": f"user-{uuid.uuid4().hex[:8]}",
            "exp": now + timedelta(minutes=30),
            "iat": now,
            "nbf": now,
            "jti": uuid.uuid4().hex,
            "sid": uuid.uuid4().hex,
            "role": role,
        }
        headers = {"kid": TOKEN_KID, "typ": "at+jwt"}
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers=headers)


@dataclass
class Api:
    """The ingest app in-process: ``admin`` sends an admin token, ``anonymous`` none."""

    admin: httpx.AsyncClient
    anonymous: httpx.AsyncClient
    user_headers: dict[str, str]
    runtime: Runtime

    async def run(self, stats_data_id: str, **body: Any) -> str:
        response = await self.admin.post(
            "/api/ingest/runs", json={"stats_data_id": stats_data_id, **body}
        )
        assert response.status_code == 202, response.text
        return response.json()["id"]

    async def wait(self, run_id: str, *statuses: str, within: float = 180) -> dict[str, Any]:
        """Poll the run until it reaches one of ``statuses`` (default: any final status). The
        deadline is for a machine whose two cores other test runs share: a run fetches, checks,
        publishes to the stats worker and waits for its answer, each step a process of its own."""
        wanted = statuses or ("succeeded", "failed", "blocked")
        deadline = time.monotonic() + within
        while True:
            detail = (await self.admin.get(f"/api/ingest/runs/{run_id}")).json()
            if detail["status"] in wanted:
                return detail
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} still {detail['status']}: {detail}")
            await asyncio.sleep(0.2)

    async def ingest(self, stats_data_id: str, *statuses: str, **body: Any) -> dict[str, Any]:
        return await self.wait(await self.run(stats_data_id, **body), *statuses)

    async def until_silent_for(self, run_id: str, seconds: float, within: float = 120) -> None:
        """Until the run's heartbeat (or, never started, its queueing) is older than ``seconds``
        on the database's clock, the one recovery compares with."""
        query = sa.text(
            "SELECT coalesce(heartbeat_at, queued_at) < now() - make_interval(secs => :seconds)"
            " FROM ingest.runs WHERE id = :id"
        )
        deadline = time.monotonic() + within
        while True:
            async with self.runtime.sessions() as session:
                if await session.scalar(query, {"seconds": seconds, "id": run_id}):
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"run {run_id} not silent for {seconds}s after {within}s")
            await asyncio.sleep(0.1)


@pytest.fixture(scope="package", autouse=True)
def forget_test_catalog_entries(platform: Platform) -> Iterator[None]:
    """The catalog entries these tests add (ids `t-...`) leave with them: the e2e stack shares
    this run's database, and its scheduling must not pick them up."""
    yield
    with psycopg.connect(platform.admin_url, autocommit=True) as connection:
        connection.execute(
            "DELETE FROM ingest.catalog_entries WHERE stats_data_id LIKE %s", ("t-%",)
        )


@pytest.fixture(scope="package")
async def api(settings: IngestSettings, workers: Workers) -> AsyncIterator[Api]:
    keys = TestKeys()
    app = create_app(settings)
    async with serve_app(app) as client:
        runtime: Runtime = app.state.runtime
        verifier = AccessTokenVerifier(
            keys, issuer=settings.jwt_issuer, audience=settings.jwt_audience
        )
        # This suite's services share a key prefix of their own: load the revocation list under
        # it, as the auth service would.
        await load_revocations(settings.redis_key_prefix)
        revocations = RevocationList(runtime.redis, settings.redis_key_prefix)
        runtime.extras[GUARD_EXTRA] = TokenGuard(verifier, revocations)
        admin = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url=client.base_url,
            headers={"Authorization": f"Bearer {keys.token(settings, 'admin')}"},
            timeout=30,
        )
        async with admin:
            yield Api(
                admin=admin,
                anonymous=client,
                user_headers={"Authorization": f"Bearer {keys.token(settings, 'user')}"},
                runtime=runtime,
            )


# -- what stats holds ---------------------------------------------------------------------------


def stats_cells(platform: Platform, stats_data_id: str) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """The current version's cells in stats, keyed like ``source_cells`` (read with the admin
    URL: tests may look at any schema, services never do)."""
    query = """
        SELECT s.key, o.region_code, o.time_code, o.value, o.mark, coalesce(o.unit, s.unit)
        FROM stats.observations o JOIN stats.series s ON s.id = o.series_id
        WHERE s.dataset_id = %s
    """
    cells = {}
    with psycopg.connect(platform.admin_url) as connection:
        for key, region, time_code, value, mark, unit in connection.execute(
            query, (stats_data_id,)
        ):
            series = tuple(f"{dim}={code}" for dim, code in sorted(key.items()))
            cells[(*series, region, time_code)] = (value, mark, unit)
    return cells


def stats_version(platform: Platform, stats_data_id: str) -> int | None:
    with psycopg.connect(platform.admin_url) as connection:
        row = connection.execute(
            "SELECT version FROM stats.datasets WHERE id = %s", (stats_data_id,)
        ).fetchone()
    return row[0] if row else None


def assert_same_cells(
    expected: dict[tuple[str, ...], tuple[Any, ...]], actual: dict[tuple[str, ...], tuple[Any, ...]]
) -> None:
    """Cell by cell: the same keys, and for each the same value, mark and unit."""
    missing = expected.keys() - actual.keys()
    extra = actual.keys() - expected.keys()
    assert not missing, f"{len(missing)} cells missing in stats, e.g. {sorted(missing)[:3]}"
    assert not extra, f"{len(extra)} cells in stats not in the source, e.g. {sorted(extra)[:3]}"
    different = [key for key, cell in expected.items() if actual[key] != cell]
    assert not different, [(key, expected[key], actual[key]) for key in different[:5]]


@pytest.fixture
def unique() -> Callable[[str], str]:
    """A table id of this test's own (``t-<label>-<random>``, at most 32 characters)."""

    def make(label: str) -> str:
        return f"t-{label[:20]}-{uuid.uuid4().hex[:6]}"

    return make
