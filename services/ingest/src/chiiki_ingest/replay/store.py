"""Where tables come from and how many stay in memory.

Sources, by precedence: `<recordings>/tables/<statsDataId>.json.gz` (or `.json`), written by the
table builder and looked up on every request so new files are picked up without a restart; then
complete getStatsData recordings in `raw/`, limited to the codes they were narrowed to. Loaded
tables are kept in a least-recently-used cache bounded by the total number of cells.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from chiiki_ingest.replay.recordings import Recording
from chiiki_ingest.replay.tables import Table, load_table, read_section

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
_SUFFIXES = (".json.gz", ".json")


@dataclass(frozen=True)
class TableSource:
    path: Path
    narrowing: dict[str, frozenset[str]] | None

    @property
    def is_full(self) -> bool:
        return not self.narrowing

    def version(self) -> float:
        return self.path.stat().st_mtime


class TableStore:
    def __init__(
        self, tables_dir: Path | None, recordings: list[Recording], *, max_cells: int = 500_000
    ) -> None:
        self._tables_dir = tables_dir
        self._max_cells = max_cells
        self._recorded = {
            r.stats_data_id: TableSource(r.path, _narrowing(r))
            for r in recordings
            if r.stats_data_id and r.is_complete_table and not r.legacy
        }
        self._cache: OrderedDict[str, tuple[float, Table]] = OrderedDict()
        self._locks: dict[str, asyncio.Lock] = {}
        self._sections: dict[tuple[Path, float, str], dict[str, Any] | None] = {}

    def source(self, stats_data_id: str) -> TableSource | None:
        if self._tables_dir is not None and _SAFE_ID.fullmatch(stats_data_id):
            for suffix in _SUFFIXES:
                path = self._tables_dir / f"{stats_data_id}{suffix}"
                if path.is_file():
                    return TableSource(path, None)
        return self._recorded.get(stats_data_id)

    def full_table_ids(self) -> list[str]:
        if self._tables_dir is None or not self._tables_dir.is_dir():
            return []
        ids = {
            path.name.removesuffix(suffix)
            for suffix in _SUFFIXES
            for path in self._tables_dir.glob(f"*{suffix}")
            if path.name.endswith(suffix) and not path.name.endswith(".json.json")
        }
        return sorted(i for i in ids if _SAFE_ID.fullmatch(i))

    def section(self, stats_data_id: str, name: str) -> dict[str, Any] | None:
        """TABLE_INF or CLASS_INF of a table without loading its cells (kept for small ones)."""
        source = self.source(stats_data_id)
        if source is None:
            return None
        key = (source.path, source.version(), name)
        if key not in self._sections:
            section = read_section(source.path, name)
            if name == "CLASS_INF":
                return section
            self._sections[key] = section
        return self._sections[key]

    async def get(self, stats_data_id: str) -> Table | None:
        source = self.source(stats_data_id)
        if source is None:
            return None
        lock = self._locks.setdefault(stats_data_id, asyncio.Lock())
        async with lock:
            version = source.version()
            cached = self._cache.get(stats_data_id)
            if cached is not None and cached[0] == version:
                self._cache.move_to_end(stats_data_id)
                return cached[1]
            table = await anyio.to_thread.run_sync(
                load_table, source.path, stats_data_id, source.narrowing
            )
            self._remember(stats_data_id, version, table)
            return table

    def _remember(self, stats_data_id: str, version: float, table: Table) -> None:
        self._cache[stats_data_id] = (version, table)
        self._cache.move_to_end(stats_data_id)
        while len(self._cache) > 1 and self._cells() > self._max_cells:
            self._cache.popitem(last=False)

    def _cells(self) -> int:
        return sum(table.size for _, table in self._cache.values())


def _narrowing(recording: Recording) -> dict[str, frozenset[str]]:
    return {
        key[2:].lower(): frozenset(value.split(",")) for key, value in recording.narrowing.items()
    }
