"""prefectures.geojson: the 47 simplified prefecture polygons with e-Stat codes.

Coordinates are rounded to 4 decimals (about 10 m), which can make neighbouring points equal;
those repeats are dropped and any ring left with fewer than 4 positions is dropped with them.
"""

import json
from pathlib import Path
from typing import Any

from . import sources

DECIMALS = 4
Ring = list[list[float]]


def _ring(ring: Ring) -> Ring | None:
    rounded = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring]
    kept = [point for i, point in enumerate(rounded) if i == 0 or point != rounded[i - 1]]
    if kept[0] != kept[-1]:
        kept.append(kept[0])
    return kept if len(kept) >= 4 else None


def _polygon(rings: list[Ring]) -> list[Ring] | None:
    outer, *holes = [_ring(ring) for ring in rings]
    if outer is None:
        return None
    return [outer, *(hole for hole in holes if hole is not None)]


def _geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    kept = [p for p in (_polygon(polygon) for polygon in polygons) if p is not None]
    if len(kept) == 1:
        return {"type": "Polygon", "coordinates": kept[0]}
    return {"type": "MultiPolygon", "coordinates": kept}


def build(shared: Path, prefecture_codes: dict[str, str]) -> dict[str, Any]:
    """``prefecture_codes`` maps a prefecture name (e.g. 東京都) to its code (13000)."""
    source = sources.read_json(shared / sources.BOUNDARIES)
    features = []
    for feature in source["features"]:
        name = feature["properties"]["N03_001"]
        properties = {"code": prefecture_codes[name], "name_ja": name, **feature["properties"]}
        features.append(
            {
                "type": "Feature",
                "properties": properties,
                "geometry": _geometry(feature["geometry"]),
            }
        )
    features.sort(key=lambda feature: feature["properties"]["code"])
    if len(features) != 47 or len({f["properties"]["code"] for f in features}) != 47:
        raise ValueError("expected the 47 prefectures once each")
    return {"type": "FeatureCollection", "features": features}


def to_json(collection: dict[str, Any]) -> str:
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"
