"""Ingestion throughput: cells per second from e-Stat pages to queryable in stats, next to a raw
PostgreSQL COPY of the same rows, and the ingest worker's peak memory per table.

    .venv/bin/python bench/ingest_throughput.py [--tables ssdse-a-2023 ...] [--json PATH]

Runs on real processes, like the tests: a database of its own (created, migrated, dropped), the
replay server over services/ingest/recordings, one stats worker and, per table, a fresh ingest
worker with the solo pool (so the run executes in the process whose memory is sampled). Servers:
TEST_DATABASE_URL / TEST_REDIS_URL, else the local ones, else embedded ones (see chiiki_devstack).

"Pages to queryable" is measured from sending `ingest.run_ingestion` to the run turning
`succeeded`, which happens when stats has made the version current (`ingest.version_applied`).
The stats reference data is loaded into the fresh database before the first run, as a running
stack's stats API has done at its start. The COPY baseline writes the run's normalised rows
(codes, value, mark, unit) into a plain table with psycopg's COPY FROM STDIN, in the same
database, after the pipeline run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import psutil
import psycopg
from celery import Celery
from psycopg import sql
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
RECORDINGS = REPO / "services" / "ingest" / "recordings"
TABLES = ["census-c01-1920-2015", "0003445099", "ssdse-b-2023", "ssdse-a-2023"]
APP_ID = "bench-replay-app-id"
SERVICES = ("auth", "stats", "ingest", "analytics")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait(ready, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} not ready after {timeout}s")


def servers(stack: ExitStack, tmp: Path) -> tuple[str, str]:
    pg, redis = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    if pg and redis:
        return pg, redis
    from chiiki_devstack import infra
    from chiiki_devstack.config import StackSettings
    from chiiki_devstack.processes import ProcessTable

    resolved = infra.resolve(StackSettings(RUN_DIR=tmp), dict(os.environ))
    table = ProcessTable(tmp / "pids", tmp / "logs")
    for spec in resolved.embedded:
        table.start(spec)
        stack.callback(table.stop, spec.name)
    return pg or resolved.database_url, redis or resolved.redis_url


def prepare_database(stack: ExitStack, pg_url: str, redis_url: str) -> dict[str, str]:
    run_id = uuid.uuid4().hex[:10]
    admin = make_url(pg_url).set(database=f"chiiki_bench_{run_id}")
    env = {
        **os.environ,
        "ENVIRONMENT": "test",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "DATABASE_URL": admin.render_as_string(hide_password=False),
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": f"chiiki-bench-{run_id}:",
        **{f"{name.upper()}_DB_PASSWORD": f"bench-{uuid.uuid4().hex}" for name in SERVICES},
    }
    subprocess.run(
        [sys.executable, "-m", "chiiki_devstack.cli", "migrate"],
        env=env,
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    from chiiki_shared.provisioning import drop_database

    stack.callback(drop_database, env["DATABASE_URL"])
    # The reference data (regions, boundaries, indicators), as the stats API loads it when it
    # starts: else the first version applied pays for loading it (0.6 s of SSDSE-A's apply here).
    load = "from chiiki_stats import tasks, reference\n"
    load += "tasks.RUNTIME.transaction(lambda session, _: reference.ensure_reference_data(session))"
    subprocess.run(  # noqa: S603 - the code is the fixed text above
        [sys.executable, "-c", load], env=env, cwd=REPO, check=True, capture_output=True
    )
    return env


def start(stack: ExitStack, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as handle:
        process = subprocess.Popen(  # noqa: S603 - argv is built here from fixed parts
            argv, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )

    def stop() -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)

    stack.callback(stop)
    return process


def worker(
    stack: ExitStack, env: dict[str, str], service: str, node: str, logs: Path, *extra: str
) -> subprocess.Popen:
    argv = [sys.executable, "-m", "celery", "-A", f"chiiki_{service}.worker", "worker"]
    argv += ["-Q", service, "-n", node, "--without-gossip", "--without-mingle", *extra]
    process = start(stack, argv, env, logs / f"{node.split('@')[0]}.log")
    app = bus(env)
    try:
        wait(lambda: any(node in r for r in app.control.ping([node], timeout=0.5)), node)
    finally:
        app.close()
    return process


def bus(env: dict[str, str]) -> Celery:
    app = Celery(broker=env["REDIS_URL"], set_as_current=False)
    app.conf.broker_transport_options = {"global_keyprefix": env["REDIS_KEY_PREFIX"]}
    return app


class PeakRss:
    """Samples a process's resident memory every 10 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.baseline = self.process.memory_info().rss
        self.peak = self.baseline
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.01)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (a prefork worker's pool) so far: less
    noisy than wall time on a shared machine."""
    process = psutil.Process(pid)
    total = 0.0
    for each in (process, *process.children(recursive=True)):
        try:
            times = each.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


def warm_replay(env: dict[str, str], stats_data_id: str, page_size: int = 100_000) -> None:
    """Ask the replay for every page the worker will ask for, as the worker will: e-Stat has
    its tables loaded and its answers ready, the stand-in renders a page only once."""
    url = f"{env['ESTAT_API_BASE_URL']}/getStatsData"
    params = {"appId": env["ESTAT_APP_ID"], "statsDataId": stats_data_id, "metaGetFlg": "Y"}
    params["limit"], position = str(page_size), 1
    with httpx.Client(timeout=120) as client:
        while position:
            params["startPosition"] = str(position)
            answer = client.get(url, params=params).json()["GET_STATS_DATA"]
            position = answer["STATISTICAL_DATA"]["RESULT_INF"].get("NEXT_KEY")
            params["metaGetFlg"] = "N"


def delay_pages(replay_base: str, stats_data_id: str, seconds: float) -> None:
    """Every getStatsData answer of the table waits ``seconds`` first (e-Stat's own response
    time, which the replay on this machine does not have)."""
    fault = {"kind": "latency", "seconds": seconds, "count": 1000, "statsDataId": stats_data_id}
    httpx.post(f"{replay_base}/_replay/faults", json=fault).raise_for_status()


def create_run(env: dict[str, str], stats_data_id: str) -> str:
    run_id = str(uuid.uuid4())
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(
            "INSERT INTO ingest.runs (id, stats_data_id, trigger, source_url)"
            " VALUES (%s, %s, 'bench', %s)",
            (run_id, stats_data_id, env["ESTAT_API_BASE_URL"]),
        )
    return run_id


def run_row(env: dict[str, str], run_id: str) -> dict[str, Any]:
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        cursor = connection.execute(
            "SELECT status, error, cell_count, page_count, batch_count, timings, max_rss_bytes,"
            " content_hash"
            " FROM ingest.runs WHERE id = %s",
            (run_id,),
        )
        names = [column.name for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


def stats_count(env: dict[str, str], stats_data_id: str) -> int:
    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as connection:
        return connection.execute(
            "SELECT count(*) FROM stats.observations o JOIN stats.series s"
            " ON s.id = o.series_id WHERE s.dataset_id = %s",
            (stats_data_id,),
        ).fetchone()[0]


def normalised_rows(stats_data_id: str) -> tuple[tuple[str, ...], list[tuple]]:
    """The rows the pipeline publishes, built by its own normaliser from the recorded table."""
    from chiiki_ingest.cells import Normaliser, parse_page
    from chiiki_ingest.quality import Report

    body = gzip.decompress((RECORDINGS / "tables" / f"{stats_data_id}.json.gz").read_bytes())
    page = parse_page(body)
    normaliser = Normaliser(page, Report())
    normaliser.add_page(page)
    return normaliser.content.layout.dimensions, normaliser.content.rows


def copy_rows(env: dict[str, str], dimensions: tuple[str, ...], rows: list[tuple]) -> float:
    """Seconds for a COPY of ``rows`` into a fresh plain table (committed)."""
    columns = [*dimensions, "value", "mark", "unit"]
    table = sql.Identifier("public", f"bench_copy_{uuid.uuid4().hex[:8]}")
    definition = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL("numeric" if c == "value" else "text"))
        for c in columns
    )
    with psycopg.connect(env["DATABASE_URL"]) as connection:
        connection.execute(sql.SQL("CREATE TABLE {} ({})").format(table, definition))
        connection.commit()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                table, sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        connection.commit()
        elapsed = time.perf_counter() - started
        count = connection.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0]
        connection.execute(sql.SQL("DROP TABLE {}").format(table))
        connection.commit()
    if count != len(rows):
        raise RuntimeError(f"the raw COPY stored {count} of {len(rows)} rows")
    return elapsed


def bench_table(
    env: dict[str, str],
    logs: Path,
    stats_data_id: str,
    stats_pid: int,
    replay_pid: int,
    warm: bool = True,
    latency: float = 0.0,
) -> dict[str, Any]:
    if warm:
        warm_replay(env, stats_data_id)
    replay_base = env["ESTAT_API_BASE_URL"].removesuffix("/rest/3.0/app/json")
    if latency:
        delay_pages(replay_base, stats_data_id, latency)
    with ExitStack() as per_table:
        node = f"ingest-{stats_data_id}@bench"
        process = worker(per_table, env, "ingest", node, logs, "--pool", "solo")
        rss = PeakRss(process.pid)
        pids = (process.pid, stats_pid, replay_pid)
        cpu_before = [cpu_seconds(pid) for pid in pids]
        run_id = create_run(env, stats_data_id)
        app = bus(env)
        started = time.perf_counter()
        app.send_task("ingest.run_ingestion", args=[{"run_id": run_id}], queue="ingest")
        app.close()
        row: dict[str, Any] = {}
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            row = run_row(env, run_id)
            if row["status"] in ("succeeded", "failed", "blocked"):
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        ingest_cpu, stats_cpu, replay_cpu = (
            cpu_seconds(pid) - before for pid, before in zip(pids, cpu_before, strict=True)
        )
        rss.stop()
    if latency:
        httpx.delete(f"{replay_base}/_replay/faults").raise_for_status()
    if row.get("status") != "succeeded":
        raise RuntimeError(f"{stats_data_id}: run ended {row.get('status')}: {row.get('error')}")
    served = stats_count(env, stats_data_id)
    dimensions, rows = normalised_rows(stats_data_id)
    copy_seconds = copy_rows(env, dimensions, rows)
    cells = row["cell_count"]
    return {
        "table": stats_data_id,
        "cells": cells,
        "cells_in_stats": served,
        "pages": row["page_count"],
        "batches": row["batch_count"],
        "pipeline_seconds": round(elapsed, 3),
        "pipeline_cells_per_second": round(cells / elapsed),
        "phases": {k: round(v, 3) for k, v in (row["timings"] or {}).items()},
        "ingest_worker_cpu_seconds": round(ingest_cpu, 3),
        "stats_worker_cpu_seconds": round(stats_cpu, 3),
        # The e-Stat stand-in shares the machine's cores: its CPU is not the pipeline's cost.
        "replay_server_cpu_seconds": round(replay_cpu, 3),
        "copy_seconds": round(copy_seconds, 3),
        "copy_cells_per_second": round(len(rows) / copy_seconds),
        "worker_rss_before_mb": round(rss.baseline / 2**20, 1),
        "worker_rss_peak_mb": round(rss.peak / 2**20, 1),
        "worker_rss_growth_mb": round((rss.peak - rss.baseline) / 2**20, 1),
        "replay_warmed": warm,
        "replay_latency_seconds": latency,
        "content_hash": row["content_hash"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=TABLES, choices=TABLES)
    parser.add_argument("--json", type=Path, default=REPO / ".run" / "bench" / "ingest.json")
    parser.add_argument(
        "--cold-replay",
        action="store_true",
        help="do not warm the replay server first (it then loads and renders during the run)",
    )
    parser.add_argument(
        "--replay-latency",
        type=float,
        default=0.0,
        help="seconds the replay waits before each page's answer (e-Stat's response time)",
    )
    parser.add_argument("--keep-logs", type=Path, help="copy the workers' logs here at the end")
    args = parser.parse_args(argv)

    results = []
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="chiiki-bench-") as tmp:
        tmp_path = Path(tmp)
        pg_url, redis_url = servers(stack, tmp_path)
        env = prepare_database(stack, pg_url, redis_url)
        port = free_port()
        env["ESTAT_API_BASE_URL"] = f"http://127.0.0.1:{port}/rest/3.0/app/json"
        env["ESTAT_APP_ID"] = APP_ID
        replay = [sys.executable, "-m", "chiiki_ingest.replay", "--port", str(port)]
        replay += ["--recordings", str(RECORDINGS), "--log-level", "warning"]
        replay_server = start(
            stack, replay, {**env, "ESTAT_REPLAY_APP_ID": APP_ID}, tmp_path / "replay.log"
        )
        health = f"http://127.0.0.1:{port}/_replay/health"
        wait(lambda: _answers(health), "the replay server")
        stats = worker(stack, env, "stats", "stats@bench", tmp_path)
        for stats_data_id in args.tables:
            result = bench_table(
                env,
                tmp_path,
                stats_data_id,
                stats.pid,
                replay_server.pid,
                not args.cold_replay,
                args.replay_latency,
            )
            results.append(result)
            print(json.dumps(result, ensure_ascii=False), flush=True)
        bus(env).close()
        if args.keep_logs:
            shutil.copytree(tmp_path, args.keep_logs, dirs_exist_ok=True)
    report(results, args.json)
    return 0


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def report(results: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    path.write_text(json.dumps({"machine": machine, "results": results}, indent=2))
    print()
    print(
        "| table | cells | pages | pipeline s | pipeline cells/s | COPY s | COPY cells/s |"
        " peak RSS MB (growth) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['table']} | {r['cells']:,} | {r['pages']} | {r['pipeline_seconds']:.2f} |"
            f" {r['pipeline_cells_per_second']:,} | {r['copy_seconds']:.2f} |"
            f" {r['copy_cells_per_second']:,} |"
            f" {r['worker_rss_peak_mb']:.0f} (+{r['worker_rss_growth_mb']:.0f}) |"
        )
    print(f"\nwritten to {path}")
    if any(r["cells"] != r["cells_in_stats"] for r in results):
        raise SystemExit("stats does not hold every cell")


if __name__ == "__main__":
    sys.exit(main())
