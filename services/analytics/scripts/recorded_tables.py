"""Read the recorded e-Stat tables (services/ingest/recordings/tables) as plain series.

Used only by the scripts that build test fixtures and run the forecast evaluation; the service
itself gets its data from the stats service's HTTP API.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
TABLES_DIR = REPO_ROOT / "services" / "ingest" / "recordings" / "tables"


@dataclass(frozen=True)
class RecordedSeries:
    """One indicator of a recorded table: its name and values by area code, then year."""

    table: str
    code: str
    name: str
    values: dict[str, dict[int, float | None]]


def _as_list(item: object) -> list[dict]:
    return item if isinstance(item, list) else [item]  # type: ignore[return-value]


def _year(time_code: str) -> int:
    return int(time_code[:4])


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:  # e-Stat special marks ("-", "…", "x") stand for missing values
        return None


def load_table(table: str, tables_dir: Path = TABLES_DIR) -> dict[str, RecordedSeries]:
    """Every cat01 series of a recorded table, keyed by its cat01 code."""
    with gzip.open(tables_dir / f"{table}.json.gz", "rt", encoding="utf-8") as handle:
        body = json.load(handle)
    data = body["GET_STATS_DATA"]["STATISTICAL_DATA"]
    classes = {obj["@id"]: _as_list(obj["CLASS"]) for obj in data["CLASS_INF"]["CLASS_OBJ"]}
    names = {item["@code"]: item["@name"] for item in classes["cat01"]}
    values: dict[str, dict[str, dict[int, float | None]]] = {code: {} for code in names}
    for cell in _as_list(data["DATA_INF"]["VALUE"]):
        by_area = values[cell["@cat01"]].setdefault(cell["@area"], {})
        by_area[_year(cell["@time"])] = _number(cell["$"])
    return {
        code: RecordedSeries(table, code, names[code], values[code])
        for code in names
        if values[code]
    }
