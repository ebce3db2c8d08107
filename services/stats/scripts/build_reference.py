"""Build the stats service's reference data from the shared public data.

Usage: .venv/bin/python services/stats/scripts/build_reference.py [SHARED_DATA] [--out DIR]
       [--tables DIR]

Writes regions.csv, prefectures.geojson, municipalities.topojson, wards.topojson and
indicators.yaml into
services/stats/src/chiiki_stats/reference/. indicators.yaml is resolved against the recorded
tables, so run services/ingest/scripts/build_recordings.py first.
"""

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from reference_builder import indicators, municipal_geo, prefecture_geo, regions, sources

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "data"
DEFAULT_OUT = REPO_ROOT / "services" / "stats" / "src" / "chiiki_stats" / "reference"
DEFAULT_TABLES = REPO_ROOT / "services" / "ingest" / "recordings" / "tables"


def _write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8", newline="\n")
    print(f"{path.name}: {path.stat().st_size} bytes")


def _level_of(region_list: list[regions.Region], level: str) -> Callable[[str], bool]:
    """Whether a boundary code belongs to ``level``: municipal boundaries also keep the codes
    no statistical area list has (the Northern Territories' villages), to be listed as polygons
    without data."""
    levels = {r.code: r.level for r in region_list}
    if level == "ward":
        return lambda code: levels.get(code) == "ward"
    return lambda code: levels.get(code, "municipality") == "municipality"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", nargs="?", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--tables", type=Path, default=DEFAULT_TABLES)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    region_list = regions.build(args.shared)
    _write(args.out / "regions.csv", regions.to_csv(region_list))
    prefecture_codes = {r.name_ja: r.code for r in region_list if r.level == "prefecture"}
    geo = prefecture_geo.build(args.shared, prefecture_codes)
    _write(args.out / "prefectures.geojson", prefecture_geo.to_json(geo))
    for level, source, filename in (
        ("municipality", sources.MUNICIPAL_BOUNDARIES, "municipalities.topojson"),
        ("ward", sources.WARD_BOUNDARIES, "wards.topojson"),
    ):
        topology = municipal_geo.build(args.shared, source, _level_of(region_list, level))
        _write(args.out / filename, municipal_geo.to_json(topology))
    _write(args.out / "indicators.yaml", indicators.to_yaml(indicators.build(args.tables)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
