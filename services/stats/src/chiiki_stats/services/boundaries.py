"""Region boundaries: one quantised TopoJSON topology per level with a map, and what a map
answer needs from it (the features of some codes as GeoJSON, or a smaller topology).

A ``Boundary`` is built once per process from the ``boundaries`` table; the decoded GeoJSON
geometries are computed on first use and kept, since a boundary changes only with a release.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

LEVEL_FILES = {"municipality": "municipalities.topojson", "ward": "wards.topojson"}
# 4 decimals (about 10 m) is finer than the topology's quantisation step (about 50 m).
DECIMALS = 4
Position = list[float]


@dataclass(frozen=True)
class Boundary:
    level: str
    release: str
    content_hash: str
    topology: dict[str, Any]
    _geometries: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)

    @property
    def codes(self) -> list[str]:
        return [geometry["id"] for geometry in self._collection()]

    def _collection(self) -> list[dict[str, Any]]:
        geometries: list[dict[str, Any]] = self.topology["objects"]["regions"]["geometries"]
        return geometries

    def geometries(self) -> dict[str, dict[str, Any]]:
        """GeoJSON geometry per code, decoded once."""
        if not self._geometries:
            arcs = decode_arcs(self.topology)
            for geometry in self._collection():
                self._geometries[geometry["id"]] = to_geojson(geometry, arcs)
        return self._geometries

    def subset(self, codes: list[str], properties: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """A topology of ``codes`` only, with ``properties`` per code and only the arcs used."""
        wanted = set(codes)
        kept = [g for g in self._collection() if g["id"] in wanted]
        used = sorted({_absolute(i) for g in kept for i in _arc_indices(g["arcs"])})
        mapping = {old: new for new, old in enumerate(used)}
        arcs = self.topology["arcs"]
        return {
            "type": "Topology",
            "transform": self.topology["transform"],
            "objects": {
                "regions": {
                    "type": "GeometryCollection",
                    "geometries": [
                        {
                            "type": g["type"],
                            "id": g["id"],
                            "properties": properties.get(g["id"], {"code": g["id"]}),
                            "arcs": _reindex(g["arcs"], mapping),
                        }
                        for g in kept
                    ],
                }
            },
            "arcs": [arcs[index] for index in used],
        }


@dataclass(frozen=True)
class Join:
    """Which polygons a map answer draws, and the codes that could not be matched."""

    codes: list[str]  # the features, in order: regions with a polygon, then polygons only
    without_polygon: list[str]  # regions of the answer the boundaries have no polygon for
    without_data: list[str]  # polygons inside the map no region of the answer has

    def metadata(self, boundary: Boundary) -> dict[str, Any]:
        return {
            "level": boundary.level,
            "release": boundary.release,
            "version": boundary.content_hash,
            "features": len(self.codes),
            "regions_without_polygon": self.without_polygon,
            "polygons_without_data": self.without_data,
        }


def join(
    boundary: Boundary, region_codes: list[str], parent: str | None, known: Collection[str]
) -> Join:
    """Match the answer's regions to the polygons by code. A polygon no region list knows (the
    Northern Territories' villages) is drawn, without data, when the map covers its prefecture;
    polygons of known regions outside the answer (another prefecture) are not part of the map.
    """
    polygons = set(boundary.codes)
    wanted = set(region_codes)
    with_polygon = [code for code in region_codes if code in polygons]
    extra = [
        code
        for code in boundary.codes
        if code not in wanted
        and code not in known
        and (parent is None or parent == code[:2] + "000")
    ]
    return Join(
        with_polygon + extra,
        [code for code in region_codes if code not in polygons],
        extra,
    )


def _absolute(index: int) -> int:
    return index if index >= 0 else ~index


def _arc_indices(arcs: Any) -> list[int]:
    if isinstance(arcs, int):
        return [arcs]
    return [index for item in arcs for index in _arc_indices(item)]


def _reindex(arcs: Any, mapping: dict[int, int]) -> Any:
    if isinstance(arcs, int):
        return mapping[arcs] if arcs >= 0 else ~mapping[~arcs]
    return [_reindex(item, mapping) for item in arcs]


def decode_arcs(topology: dict[str, Any]) -> list[list[Position]]:
    """Undo TopoJSON's delta encoding and quantisation: absolute longitude/latitude."""
    (kx, ky), (dx, dy) = topology["transform"]["scale"], topology["transform"]["translate"]
    decoded = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for qx, qy in arc:
            x, y = x + qx, y + qy
            points.append([round(x * kx + dx, DECIMALS), round(y * ky + dy, DECIMALS)])
        decoded.append(points)
    return decoded


def _ring(indices: list[int], arcs: list[list[Position]]) -> list[Position]:
    ring: list[Position] = []
    for index in indices:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        # Consecutive arcs share their end point; rounding can make neighbours equal too.
        for point in points:
            if not ring or ring[-1] != point:
                ring.append(point)
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    return ring


def _polygon(rings: list[list[int]], arcs: list[list[Position]]) -> list[list[Position]]:
    outer, *holes = [_ring(r, arcs) for r in rings]
    if len(outer) < 4:
        return []
    return [outer, *(hole for hole in holes if len(hole) >= 4)]


def to_geojson(geometry: dict[str, Any], arcs: list[list[Position]]) -> dict[str, Any]:
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": _polygon(geometry["arcs"], arcs)}
    polygons = [_polygon(polygon, arcs) for polygon in geometry["arcs"]]
    return {"type": "MultiPolygon", "coordinates": [p for p in polygons if p]}
