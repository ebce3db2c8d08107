"""municipalities.topojson and wards.topojson: N03 municipal boundaries keyed by JIS code.

The TopoJSON of the shared folder is kept as shipped (quantised, delta-encoded arcs and their
transform): only the geometries of one level are kept, each with its code as ``id`` and as its
only property, and the arcs no kept geometry uses are dropped (the rest re-indexed). Geometries
without a code (所属未定地, land of undetermined affiliation) and empty geometries (islands the
0.1% simplification removed) are left out; the service lists the codes of the second kind as
regions without a polygon.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chiiki_stats.services.boundaries import decode_arcs, to_geojson

from . import sources

RELEASE = "N03-21_210101"


def _arc_indices(arcs: Any) -> list[int]:
    if isinstance(arcs, int):
        return [arcs]
    return [index for item in arcs for index in _arc_indices(item)]


def _reindex(arcs: Any, mapping: dict[int, int]) -> Any:
    if isinstance(arcs, int):
        return mapping[arcs] if arcs >= 0 else ~mapping[~arcs]
    return [_reindex(item, mapping) for item in arcs]


def build(shared: Path, source: str, wanted: Callable[[str], bool]) -> dict[str, Any]:
    """The topology of the geometries whose code is ``wanted``, in code order."""
    topology = sources.read_json(shared / source)
    (collection,) = topology["objects"].values()
    decoded = decode_arcs(topology)
    kept = [
        geometry
        for geometry in collection["geometries"]
        if geometry.get("type")
        and (code := geometry["properties"]["N03_007"])
        and wanted(code)
        and to_geojson(geometry, decoded)["coordinates"]
    ]
    kept.sort(key=lambda geometry: geometry["properties"]["N03_007"])
    seen = [geometry["properties"]["N03_007"] for geometry in kept]
    if len(set(seen)) != len(seen):
        raise ValueError(f"{source}: a code has more than one geometry")
    used = sorted(
        {index if index >= 0 else ~index for g in kept for index in _arc_indices(g["arcs"])}
    )
    mapping = {old: new for new, old in enumerate(used)}
    geometries = [
        {
            "type": geometry["type"],
            "id": geometry["properties"]["N03_007"],
            "properties": {"code": geometry["properties"]["N03_007"]},
            "arcs": _reindex(geometry["arcs"], mapping),
        }
        for geometry in kept
    ]
    return {
        "type": "Topology",
        "release": RELEASE,
        "transform": topology["transform"],
        "objects": {"regions": {"type": "GeometryCollection", "geometries": geometries}},
        "arcs": [topology["arcs"][index] for index in used],
    }


def to_json(topology: dict[str, Any]) -> str:
    return json.dumps(topology, ensure_ascii=False, separators=(",", ":")) + "\n"
