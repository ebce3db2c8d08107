"""Build the e-Stat getStatsData tables that the replay server serves.

Usage: .venv/bin/python services/ingest/scripts/build_recordings.py [SHARED_DATA] [--out DIR]

Writes ``<statsDataId>.json.gz`` (one complete, unpaged response each) into
services/ingest/recordings/tables/. Output is byte-reproducible.
"""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from estat_tables import (
    census2020,
    census_c01,
    census_municipal,
    census_timeseries,
    ssdse_a,
    ssdse_b,
)
from estat_tables.encoding import estat_json_bytes, gzip_bytes
from estat_tables.response import Table, response_body

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "services" / "ingest" / "recordings" / "tables"
BUILDERS: tuple[Callable[[Path], Table], ...] = (
    ssdse_b.build,
    ssdse_a.build,
    census_c01.build,
    census_timeseries.build_prefectures,
    census_timeseries.build_pyramid,
    census_municipal.build_recombined,
    census_municipal.build_japanese,
)


def _write(out: Path, stats_data_id: str, body: dict[str, Any]) -> None:
    path = out / f"{stats_data_id}.json.gz"
    path.write_bytes(gzip_bytes(estat_json_bytes(body)))
    total = body["GET_STATS_DATA"]["STATISTICAL_DATA"]["RESULT_INF"]["TOTAL_NUMBER"]
    print(f"{path.name}: {total} values, {path.stat().st_size} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", nargs="?", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    _write(args.out, census2020.STATS_DATA_ID, census2020.load(args.shared))
    for build in BUILDERS:
        table = build(args.shared)
        _write(args.out, table.stats_data_id, response_body(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
