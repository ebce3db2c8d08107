"""``format=topojson``: the municipal or ward map as one quantised TopoJSON topology.

Neighbouring municipalities share their borders as arcs and the coordinates stay quantised
integers, so the whole country's map is 695 kB against the GeoJSON's 1,066 kB (gzip: 168 kB
against 216 kB). Only the arcs the features use are sent. The values sit on each geometry's
``properties``; ``metadata`` and ``attribution`` are as in the GeoJSON answer.
"""

from __future__ import annotations

from collections.abc import Collection

from chiiki_shared.cache import Rendered
from chiiki_stats.formats import json
from chiiki_stats.formats.base import GeoLayer
from chiiki_stats.formats.geojson import BOUNDARY_ATTRIBUTION, feature_properties, joined
from chiiki_stats.services.boundaries import Boundary

MEDIA_TYPE = "application/topo+json"


def render(layer: GeoLayer, boundary: Boundary, known: Collection[str]) -> Rendered:
    matched = joined(layer, boundary, known)
    properties = feature_properties(layer, matched.codes)
    topology = boundary.subset(matched.codes, properties)
    topology["metadata"] = {**layer.metadata, "boundaries": matched.metadata(boundary)}
    topology["attribution"] = [*layer.attribution, BOUNDARY_ATTRIBUTION]
    return Rendered(json.dumps(topology), MEDIA_TYPE)
