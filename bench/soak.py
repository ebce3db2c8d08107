"""Soak test, not part of ``make test``: ``make soak`` (``SOAK_SECONDS=90 make soak``: short).

A stack of its own (own run folder, free ports, its own PostgreSQL and Redis, see
soak_servers.py) is loaded with the catalog, then a mixed workload (soak_load.py) runs on
``SOAK_CONNECTIONS`` connections for ``SOAK_SECONDS``. At 30% and 60% of the time the faults are
injected, one after the other: Redis stopped for ``outage`` seconds, then PostgreSQL, then one
Celery worker killed with SIGKILL and started again by ``make up``'s logic (``Stack.up``). The
outage is 20 s for the 10-minute soak and scaled with the duration (at least 5 s). An ingest run
is started just before the first fault, so its pages and batches cross the outages.

Afterwards it reports per-route latency percentiles, outcomes by status code (also by phase),
the memory of every process (sampled every 30 s), whether the data are exactly as before (no
cell lost or doubled, the run complete) and whether a revoked token was ever accepted. It writes
the report to ``SOAK_OUT`` (default ``.run/soak``) as JSON and Markdown, stops everything it
started (nothing else) and exits 1 when an integrity or revocation check failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).parent))

from soak_checks import MemorySampler, RevokedTokenProbe, redis_breakdown, snapshot
from soak_load import Workload
from soak_servers import Servers, make_servers

from chiiki_devstack.config import REPO_ROOT, SERVICES
from chiiki_devstack.processes import ProcessTable
from chiiki_devstack.stack import Stack

SECONDS = int(os.environ.get("SOAK_SECONDS", "600"))
CONNECTIONS = int(os.environ.get("SOAK_CONNECTIONS", "64"))
OUT = Path(os.environ.get("SOAK_OUT", str(REPO_ROOT / ".run" / "soak")))
OUTAGE = max(5.0, 20.0 * SECONDS / 600)
# How long the load waits for the worker to store every forecast it serves stored.
FORECASTS_WAIT = float(os.environ.get("SOAK_FORECASTS_WAIT", "600"))
FAULTS_AT = (0.3, 0.6)
KILLED_WORKERS = ("worker-analytics", "worker-stats")
MIDSOAK_TABLE = "census-c01-1920-2015"
PASSWORD = "soak-password-1"  # noqa: S105 - an account of the soak's own throwaway stack


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Faults:
    """Injects the faults from a thread; ``phase`` says what is happening now."""

    servers: Servers
    stack: Stack
    started: float
    phase: str = "steady"
    events: list[dict] = field(default_factory=list)
    leftovers: list[int] = field(default_factory=list)

    def now(self) -> float:
        return round(time.monotonic() - self.started, 1)

    def _during(self, phase: str, action: Callable[[], None]) -> float:
        self.phase = phase
        begun = time.monotonic()
        action()
        return round(time.monotonic() - begun, 1)

    def outage(self, what: str, stop: Callable[[], None], start: Callable[[], None]) -> None:
        at = self.now()
        stop_took = self._during(f"{what} down", stop)
        time.sleep(OUTAGE)
        start_took = self._during(f"{what} restarting", start)
        self.events.append(
            {
                "fault": f"{what} stopped",
                "at_s": at,
                "stop_took_s": stop_took,
                "down_s": OUTAGE,
                "restart_took_s": start_took,
            }
        )
        self.phase = "recovering"

    def kill_worker(self, name: str) -> None:
        table = self.stack.table
        running = table.running(name)
        at = self.now()
        if running is None:
            self.events.append({"fault": f"{name} SIGKILL", "at_s": at, "error": "not running"})
            return
        self.phase = f"{name} killed"
        self.leftovers.append(running.pid)  # its process group, for the final clean-up
        os.kill(running.pid, signal.SIGKILL)
        begun = time.monotonic()
        event: dict = {"fault": f"{name} SIGKILL", "at_s": at}
        try:
            self.stack.up()
            event["restarted_by_make_up"] = table.running(name) is not None
        except Exception as exc:  # measured and reported: the soak goes on
            event["make_up_error"] = f"{type(exc).__name__}: {exc}"[:300]
            # make up's own start of that one process (its ProcessSpec), as the e2e tests'
            # service_stopped does, so the rest of the soak runs with the worker back.
            spec = next(s for s in self.stack.process_specs(dict(os.environ)) if s.name == name)
            table.start(spec)
            event["restarted_from_its_spec"] = table.running(name) is not None
        event["restart_took_s"] = round(time.monotonic() - begun, 1)
        self.events.append(event)
        self.phase = "recovering"

    def run(self, before_first: Callable[[], None]) -> None:
        for index, fraction in enumerate(FAULTS_AT):
            time.sleep(max(0.0, self.started + fraction * SECONDS - time.monotonic()))
            if index == 0:
                before_first()
            self.outage("redis", self.servers.stop_redis, self.servers.start_redis)
            self.outage("postgres", self.servers.stop_postgres, self.servers.start_postgres)
            self.kill_worker(KILLED_WORKERS[index % len(KILLED_WORKERS)])
            self.phase = "steady"


def configure_environment(run_dir: Path, servers: Servers) -> None:
    ports = {f"{name.upper()}_PORT": str(free_port()) for name in SERVICES}
    os.environ.update(
        {
            **ports,
            "RUN_DIR": str(run_dir),
            "GATEWAY_PORT": str(free_port()),
            "ESTAT_REPLAY_PORT": str(free_port()),
            "DATABASE_URL": servers.database_url,
            "REDIS_URL": servers.redis_url,
            "REDIS_KEY_PREFIX": "chiiki:",
            "ENVIRONMENT": "development",
            "EMBEDDED_SERVERS": "0",
            "INGEST_SCHEDULE_ENABLED": "false",
            "START_TIMEOUT_SECONDS": "240",
            "LOG_LEVEL": "WARNING",
        }
    )
    for name in ("BOOTSTRAP_ADMIN_EMAIL", "BOOTSTRAP_ADMIN_PASSWORD"):
        os.environ.pop(name, None)


def wait_for(check: Callable[[], bool], within: float, what: str) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
            if check():
                return True
        time.sleep(2)
    print(f"soak: gave up waiting for {what} after {within:g}s", flush=True)
    return False


def account(client: httpx.Client, email: str) -> str:
    """Register ``email`` (once) and log in: an access token."""
    client.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": "soak"}
    )
    response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return response.json()["access_token"]


def load_data(client: httpx.Client, admin: dict[str, str]) -> dict[str, bool]:
    def catalog_loaded() -> bool:
        runs = client.get("/api/ingest/runs", headers=admin).json()["items"]
        datasets = client.get("/api/datasets", headers=admin).json()["items"]
        enabled = [
            e
            for e in client.get("/api/ingest/catalog", headers=admin).json()["items"]
            if e.get("enabled", True)
        ]
        active = [r for r in runs if r["status"] in ("queued", "running")]
        return not active and len(datasets) >= len(enabled)

    def forecasts_stored() -> bool:
        params = {"indicator": "population.total", "period": 2025}
        mapped = client.get("/api/forecasts/prefectures", params=params, headers=admin)
        # Asked of analytics itself: the gateway's read cache keeps the headers of the first
        # answer it stored while revalidating its body by ETag, so a series fitted on demand
        # before the worker stored it would say "fitted" there for as long as the data hold.
        series = httpx.get(
            f"http://127.0.0.1:{os.environ['ANALYTICS_PORT']}/api/forecasts",
            headers=admin,
            params={"indicator": "population.total", "region": "47000"},
            timeout=30,
        )
        return mapped.status_code == 200 and series.headers.get("x-forecast-source") == "stored"

    loaded = wait_for(catalog_loaded, 600, "the catalog's ingestion")
    return {
        "catalog": loaded,
        "forecasts": loaded and wait_for(forecasts_stored, FORECASTS_WAIT, "the stored forecasts"),
    }


def start_midsoak_run(client: httpx.Client, admin: dict[str, str], notes: dict) -> None:
    response = client.post("/api/ingest/runs", json={"stats_data_id": MIDSOAK_TABLE}, headers=admin)
    notes["midsoak_run"] = {
        "status": response.status_code,
        "id": response.json().get("id") if response.is_success else None,
    }


def finish_midsoak_run(client: httpx.Client, admin: dict[str, str], notes: dict) -> None:
    run_id = notes.get("midsoak_run", {}).get("id")
    if not run_id:
        return

    def finished() -> bool:
        run = client.get(f"/api/ingest/runs/{run_id}", headers=admin).json()
        notes["midsoak_run"]["final"] = run.get("status")
        return run.get("status") not in ("queued", "running")

    wait_for(finished, 300, "the mid-soak ingest run")


def _off(run: tuple) -> bool:
    """A run whose stored pages disagree with its page count or its cell count."""
    _, _, _, cells, page_count, pages, page_cells = run
    return (page_count is not None and pages != page_count) or (
        cells is not None and page_cells != cells
    )


def compare(before: dict, after: dict, run_id: str | None) -> dict:
    runs_before = {row[0]: row for row in before["runs"]}
    changed_runs = [
        row for row in after["runs"] if row[0] in runs_before and row != runs_before[row[0]]
    ]
    new_runs = [row for row in after["runs"] if row[0] not in runs_before]
    inconsistent = [row for row in after["runs"] if row[2] == "succeeded" and _off(row)]
    datasets_ok = before["datasets"] == after["datasets"]
    stored_ok = all(row[3] == row[4] for row in after["datasets"])
    return {
        "datasets_identical": datasets_ok,
        "stored_cells_match_counts": stored_ok,
        "datasets_before": before["datasets"],
        "datasets_after": after["datasets"],
        "earlier_runs_changed": changed_runs,
        "new_runs": new_runs,
        "runs_with_pages_or_cells_off": inconsistent,
        "midsoak_run_id": run_id,
        "ok": datasets_ok and stored_ok and not changed_runs and not inconsistent,
    }


async def drive(
    workload: Workload, probe: RevokedTokenProbe, deadline: float, started: float
) -> None:
    await asyncio.gather(workload.run(deadline), probe.run(deadline, started))


def soak(run_dir: Path) -> dict:
    table = ProcessTable(run_dir / "pids", run_dir / "logs")
    servers = make_servers(run_dir, table, free_port(), free_port())
    servers.start()
    configure_environment(run_dir, servers)
    stack = Stack.from_env()
    report: dict = {
        "seconds": SECONDS,
        "connections": CONNECTIONS,
        "outage_s": OUTAGE,
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
    }
    faults = None
    try:
        t0 = time.monotonic()
        stack.up(load_demo_data=True)
        base = stack.settings.gateway_url
        client = httpx.Client(base_url=base, timeout=60)
        email, password = stack.dev_admin()
        login = client.post("/api/auth/login", json={"email": email, "password": password})
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        report["ready"] = load_data(client, admin)
        report["setup_s"] = round(time.monotonic() - t0, 1)
        user_token = account(client, "soak-user@chiiki.example")
        revoked = account(client, "soak-revoked@chiiki.example")
        as_revoked = {"Authorization": f"Bearer {revoked}"}
        client.get("/api/auth/me", headers=as_revoked).raise_for_status()
        logout = client.post("/api/auth/logout", headers=as_revoked)
        if logout.status_code != 204:
            raise RuntimeError(f"logging the revoked account out answered {logout.status_code}")
        before = snapshot(servers.database_url)
        report["redis_before"] = redis_breakdown(servers.redis_url)
        started = time.monotonic()
        faults = Faults(servers, stack, started)
        notes: dict = {}
        sampler = MemorySampler(table, started)
        sampler.start()
        injector = threading.Thread(
            target=faults.run,
            args=(lambda: start_midsoak_run(client, admin, notes),),
            name="faults",
            daemon=True,
        )
        injector.start()
        workload = Workload(
            base,
            {"email": "soak-user@chiiki.example", "password": PASSWORD},
            user_token,
            CONNECTIONS,
            lambda: faults.phase,
        )
        probe = RevokedTokenProbe(base, revoked)
        print(f"soak: load for {SECONDS}s on {CONNECTIONS} connections", flush=True)
        asyncio.run(drive(workload, probe, started + SECONDS, started))
        injector.join(timeout=600)
        sampler.stop()
        sampler.sample()
        report["redis_after"] = redis_breakdown(servers.redis_url)
        report.update(
            routes=workload.results.summary(),
            outcomes_by_phase={k: dict(v) for k, v in workload.results.by_phase.items()},
            faults=faults.events,
            memory=sampler.samples,
            revoked_token={"probes": dict(probe.outcomes), "accepted": probe.accepted},
            load_after=os.getloadavg(),
        )
        report["healthy_after"] = wait_for(
            lambda: (stack.health() or {}).get("status") == "ok", 180, "health after the soak"
        )
        relog = client.post("/api/auth/login", json={"email": email, "password": password})
        admin = {"Authorization": f"Bearer {relog.json()['access_token']}"}
        finish_midsoak_run(client, admin, notes)
        after = snapshot(servers.database_url)
        report.update(
            integrity=compare(before, after, notes.get("midsoak_run", {}).get("id")),
            midsoak_run=notes.get("midsoak_run"),
        )
    except Exception as exc:  # what was measured is still reported
        report["error"] = f"{type(exc).__name__}: {exc}"[:1000]
    finally:
        stack.down()
        servers.stop()
        for pgid in faults.leftovers if faults else []:
            _stop_group(pgid)
    return report


def _stop_group(pgid: int) -> None:
    """What is left of a worker killed with SIGKILL (its pool processes), ours alone."""
    for process in psutil.process_iter(["pid"]):
        with contextlib.suppress(ProcessLookupError, psutil.Error):
            if os.getpgid(process.info["pid"]) == pgid:
                process.kill()


def markdown(report: dict) -> str:
    lines = [
        f"Soak: {report['seconds']} s, {report['connections']} connections, outages of "
        f"{report['outage_s']:g} s; {report['cpus']} CPUs, load average before "
        f"{report['load_before'][0]:.1f}, after {report.get('load_after', [0])[0]:.1f}; "
        f"setup (stack + catalog + stored forecasts) {report.get('setup_s')} s, "
        f"ready: {report.get('ready')}",
        "",
        "| route | requests | p50 ms | p95 ms | p99 ms | outcomes |",
        "|---|---|---|---|---|---|",
    ]
    for row in report.get("routes", []):
        outcomes = ", ".join(f"{k}: {v}" for k, v in row["outcomes"].items())
        lines.append(
            f"| {row['route']} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} "
            f"| {row['p99_ms']} | {outcomes} |"
        )
    lines += ["", "| phase | outcomes |", "|---|---|"]
    for phase, outcomes in report.get("outcomes_by_phase", {}).items():
        lines.append(f"| {phase} | {', '.join(f'{k}: {v}' for k, v in sorted(outcomes.items()))} |")
    lines += ["", "Faults:"] + [f"- {json.dumps(event)}" for event in report.get("faults", [])]
    samples = report.get("memory", [])
    if samples:
        names = sorted({k for s in samples for k in s if k != "t"})
        lines += [
            "",
            "| process | " + " | ".join(f"t={s['t']}s" for s in samples) + " |",
            "|---|" + "---|" * len(samples),
        ]
        for name in names:
            cells = [f"{s[name]['rss_mb']}" if name in s else "-" for s in samples]
            lines.append(f"| {name} (MB) | " + " | ".join(cells) + " |")
    for moment in ("before", "after"):
        lines += _redis_lines(moment, report.get(f"redis_{moment}", {}))
    integrity = report.get("integrity", {})
    lines += [
        "",
        f"Integrity ok: {integrity.get('ok')} (datasets identical: "
        f"{integrity.get('datasets_identical')}, stored cells = counts: "
        f"{integrity.get('stored_cells_match_counts')}, earlier runs changed: "
        f"{len(integrity.get('earlier_runs_changed', []))}, runs with pages/cells off: "
        f"{len(integrity.get('runs_with_pages_or_cells_off', []))}); mid-soak run: "
        f"{report.get('midsoak_run')}",
        f"Revoked token: {report.get('revoked_token')}",
        f"Healthy after the soak: {report.get('healthy_after')}; error: {report.get('error')}",
    ]
    return "\n".join(lines) + "\n"


def _overran(signum: int, frame: object) -> None:
    raise TimeoutError("the soak overran its time bound")


def _redis_lines(moment: str, breakdown: dict) -> list[str]:
    if "by_prefix" not in breakdown:
        return ["", f"Redis {moment} the load: {breakdown.get('error', 'not measured')}"]
    lines = [
        "",
        f"Redis {moment} the load: used {breakdown['used_mb']} MB, resident "
        f"{breakdown['rss_mb']} MB",
        "",
        "| key prefix | keys | MB |",
        "|---|---|---|",
    ]
    for prefix, entry in breakdown["by_prefix"].items():
        lines.append(f"| `{prefix}` | {entry['keys']} | {round(entry['bytes'] / 2**20, 2)} |")
    return lines


def main() -> int:
    run_dir = Path(tempfile.mkdtemp(prefix="chiiki-soak-"))
    run_dir.chmod(0o711)
    # Bounded whatever happens: setup, the load, the faults and the checks; the clean-up in
    # ``soak`` still runs.
    signal.signal(signal.SIGALRM, _overran)
    signal.alarm(SECONDS + 2400)
    try:
        report = soak(run_dir)
    finally:
        OUT.mkdir(parents=True, exist_ok=True)
        if (run_dir / "logs").exists():
            shutil.copytree(run_dir / "logs", OUT / "logs", dirs_exist_ok=True)
        shutil.rmtree(run_dir, ignore_errors=True)
    (OUT / "report.json").write_text(json.dumps(report, indent=2, default=str))
    text = markdown(report)
    (OUT / "report.md").write_text(text)
    print(text)
    revoked_ok = not report.get("revoked_token", {}).get("accepted")
    return 0 if report.get("integrity", {}).get("ok") and revoked_ok else 1


if __name__ == "__main__":
    sys.exit(main())
