"""Read the built e-Stat tables (services/ingest/recordings/tables) that the catalog cites."""

import gzip
import json
from dataclasses import dataclass
from pathlib import Path

from . import sources


@dataclass(frozen=True)
class TableClasses:
    """The classification codes of one recorded table, by CLASS_OBJ id."""

    stats_data_id: str
    codes: dict[str, dict[str, str]]  # class id -> code -> @name
    units: dict[str, dict[str, str]]  # class id -> code -> @unit

    def code_named(self, class_id: str, name: str) -> str:
        matches = [code for code, label in self.codes[class_id].items() if label == name]
        if len(matches) != 1:
            raise KeyError(f"{self.stats_data_id}: {len(matches)} {class_id} entries named {name}")
        return matches[0]

    def unit_of(self, selector: dict[str, str]) -> str | None:
        """The @unit of the selected series, or of the table's only tab when that holds it."""
        for class_id, code in selector.items():
            if code in self.units[class_id]:
                return self.units[class_id][code]
        tab_units = list(self.units.get("tab", {}).values())
        return tab_units[0] if len(self.codes.get("tab", {})) == 1 and tab_units else None


def load(tables_dir: Path, stats_data_id: str) -> TableClasses:
    path = tables_dir / f"{stats_data_id}.json.gz"
    body = json.loads(gzip.decompress(path.read_bytes()))
    class_objs = body["GET_STATS_DATA"]["STATISTICAL_DATA"]["CLASS_INF"]["CLASS_OBJ"]
    ids = [obj["@id"] for obj in class_objs]
    items = {class_id: sources.class_items(body, class_id) for class_id in ids}
    return TableClasses(
        stats_data_id,
        {cid: {i["@code"]: i["@name"] for i in entries} for cid, entries in items.items()},
        {
            cid: {i["@code"]: i["@unit"] for i in entries if "@unit" in i}
            for cid, entries in items.items()
        },
    )
