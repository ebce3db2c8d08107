"""What the soak watches besides latency: every process's memory, the data, and a revoked token.

- Memory: the resident set of every process the soak started (with its children: Celery's pool
  processes, nginx's workers, PostgreSQL's backends), sampled every ``RSS_INTERVAL`` seconds.
- Data: per dataset in stats its version, content hash, recorded cell count, the cells actually
  stored and an MD5 of them; per ingest run its status, cell count and pages. Taken before and
  after: nothing may be lost or doubled.
- Redis: what its memory holds, before and after the load (keys and bytes by key prefix).
- Revocation: a token logged out before the load starts is sent throughout (``/api/auth/me`` and
  a stats route); any 2xx is a revoked token accepted.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import psutil
import psycopg
import redis

from chiiki_devstack.processes import ProcessTable

RSS_INTERVAL = 30.0
DATASETS_SQL = """
SELECT d.id, d.version, d.content_hash, d.cell_count,
       count(o.series_id) AS stored_cells,
       md5(string_agg(
           o.series_id || '|' || o.region_code || '|' || o.time_code || '|'
           || coalesce(o.value::text, '') || '|' || coalesce(o.mark, ''),
           ',' ORDER BY o.series_id, o.region_code, o.time_code)) AS cells_md5
FROM stats.datasets d
LEFT JOIN stats.series s ON s.dataset_id = d.id
LEFT JOIN stats.observations o ON o.series_id = s.id
GROUP BY d.id ORDER BY d.id
"""
RUNS_SQL = """
SELECT r.id::text, r.stats_data_id, r.status, r.cell_count, r.page_count,
       count(p.page_index) AS pages, coalesce(sum(p.cell_count), 0) AS page_cells
FROM ingest.runs r LEFT JOIN ingest.run_pages p ON p.run_id = r.id
GROUP BY r.id ORDER BY r.queued_at, r.id
"""


def snapshot(database_url: str) -> dict[str, list[tuple]]:
    with psycopg.connect(database_url) as conn:
        return {
            "datasets": [tuple(row) for row in conn.execute(DATASETS_SQL).fetchall()],
            "runs": [tuple(row) for row in conn.execute(RUNS_SQL).fetchall()],
        }


def _prefix(key: bytes) -> str:
    """A key's kind: its first two ``:`` segments (``chiiki:stats:q:<digest>`` -> ``chiiki:stats``)
    or the whole name when shorter (Celery's queues, ``_kombu.binding.*``)."""
    name = key.decode(errors="replace")
    if name.startswith("celery-task-meta-"):
        return "celery-task-meta-*"
    parts = name.split(":")
    return ":".join(parts[:3]) if len(parts) > 3 else ":".join(parts[:2])


def redis_breakdown(url: str) -> dict[str, object]:
    """Redis's used and resident memory, and its keys and their bytes (``MEMORY USAGE``) by
    prefix: what a growing Redis is holding."""
    client = redis.Redis.from_url(url)
    try:
        info = client.info("memory")
        by_prefix: dict[str, dict[str, int]] = {}
        for key in client.scan_iter(count=1000):
            entry = by_prefix.setdefault(_prefix(key), {"keys": 0, "bytes": 0})
            entry["keys"] += 1
            entry["bytes"] += int(client.memory_usage(key) or 0)
    except (redis.RedisError, OSError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    finally:
        client.close()
    return {
        "used_mb": round(info["used_memory"] / 2**20, 1),
        "rss_mb": round(info["used_memory_rss"] / 2**20, 1),
        "by_prefix": dict(sorted(by_prefix.items(), key=lambda item: -item[1]["bytes"])),
    }


def _tree_rss(pid: int) -> tuple[int, int]:
    """Resident bytes of a process and its descendants, and how many processes that is."""
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total, len(processes)


@dataclass
class MemorySampler:
    """Samples every process of ``table`` from a thread until stopped."""

    table: ProcessTable
    started: float
    samples: list[dict] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def sample(self) -> None:
        row: dict[str, object] = {"t": round(time.monotonic() - self.started)}
        for name in self.table.names():
            running = self.table.running(name)
            rss, count = _tree_rss(running.pid) if running else (0, 0)
            row[name] = {"rss_mb": round(rss / 2**20, 1), "processes": count}
        self.samples.append(row)

    def run(self) -> None:
        while True:
            self.sample()
            if self._stop.wait(RSS_INTERVAL):
                return

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="rss", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


@dataclass
class RevokedTokenProbe:
    base_url: str
    token: str
    outcomes: Counter = field(default_factory=Counter)
    accepted: list[tuple[float, str, int]] = field(default_factory=list)

    async def run(self, deadline: float, started: float) -> None:
        paths = ("/api/auth/me", "/api/kpi?region=13000")
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(base_url=self.base_url, timeout=35) as client:
            while time.monotonic() < deadline:
                for path in paths:
                    try:
                        status = (await client.get(path, headers=headers)).status_code
                    except httpx.HTTPError:
                        self.outcomes[f"{path} error"] += 1
                        continue
                    self.outcomes[f"{path} {status}"] += 1
                    if 200 <= status < 300:
                        self.accepted.append((round(time.monotonic() - started, 1), path, status))
                await asyncio.sleep(1.0)
