"""``format=geojson``: a FeatureCollection of the regions of the answer with the values as
feature properties, ready for a MapLibre / Mapbox GL choropleth (``["get", "value"]``), with a
numeric ``id`` for feature-state.

Prefecture geometries are the simplified boundaries of ``reference/prefectures.geojson``
(国土数値情報, coordinates rounded to about 10 m), read once per process; municipal and ward
geometries are decoded once per process from the level's ``Boundary`` (see ``boundaries.py``).
"""

from __future__ import annotations

import json as stdlib_json
from collections.abc import Collection
from functools import cache
from importlib.resources import files
from typing import Any

from chiiki_shared.cache import Rendered
from chiiki_stats.formats import json
from chiiki_stats.formats.base import GeoLayer
from chiiki_stats.services.boundaries import Boundary, Join, join

MEDIA_TYPE = "application/geo+json"
BOUNDARY_ATTRIBUTION = "国土数値情報（行政区域データ）（国土交通省）を加工して作成"


@cache
def prefecture_features() -> tuple[dict[str, Any], ...]:
    document = stdlib_json.loads(
        (files("chiiki_stats") / "reference" / "prefectures.geojson").read_bytes()
    )
    return tuple(
        {"code": feature["properties"]["code"], "geometry": feature["geometry"]}
        for feature in document["features"]
    )


def render(layer: GeoLayer) -> Rendered:
    keys: list[str] = []
    for properties in layer.properties.values():
        keys.extend(key for key in properties if key not in keys)
    features = []
    for feature in prefecture_features():
        found = layer.properties.get(feature["code"])
        properties = (
            found if found is not None else {"code": feature["code"], **dict.fromkeys(keys)}
        )
        features.append(
            {
                "type": "Feature",
                "id": int(feature["code"][:2]),
                "properties": {key: properties.get(key) for key in keys}
                | {"code": feature["code"]},
                "geometry": feature["geometry"],
            }
        )
    document = {
        "type": "FeatureCollection",
        "features": features,
        "metadata": layer.metadata,
        "attribution": [*layer.attribution, BOUNDARY_ATTRIBUTION],
    }
    return Rendered(json.dumps(document), MEDIA_TYPE)


def feature_properties(layer: GeoLayer, codes: list[str]) -> dict[str, dict[str, Any]]:
    """The properties of each feature: the layer's, or the same keys as nulls for a polygon
    without data, so every feature has the same keys."""
    keys: list[str] = []
    for properties in layer.properties.values():
        keys.extend(key for key in properties if key not in keys)
    blank = dict.fromkeys(keys)
    return {code: {**blank, **layer.properties.get(code, {}), "code": code} for code in codes}


def joined(layer: GeoLayer, boundary: Boundary, known: Collection[str]) -> Join:
    return join(boundary, list(layer.properties), layer.parent, known)


def render_boundary(layer: GeoLayer, boundary: Boundary, known: Collection[str]) -> Rendered:
    matched = joined(layer, boundary, known)
    properties = feature_properties(layer, matched.codes)
    geometries = boundary.geometries()
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": int(code),
                "properties": properties[code],
                "geometry": geometries[code],
            }
            for code in matched.codes
        ],
        "metadata": {**layer.metadata, "boundaries": matched.metadata(boundary)},
        "attribution": [*layer.attribution, BOUNDARY_ATTRIBUTION],
    }
    return Rendered(json.dumps(document), MEDIA_TYPE)
