"""Output formats of the data endpoints: JSON (default), CSV, Chart.js, GeoJSON and TopoJSON.

A service returns a ``Result``; ``render`` turns it into bytes in the format the caller asked
for. Each route declares which formats make sense for it (a single region's time series has no
map), and asking for another is a 422.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import TYPE_CHECKING

from chiiki_shared.cache import Rendered
from chiiki_stats.formats.base import (
    ChartData,
    Dataset,
    GeoLayer,
    Paged,
    Result,
    Table,
    Unit,
    over_years,
)

if TYPE_CHECKING:
    from chiiki_stats.catalog import Reference


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    CHARTJS = "chartjs"
    GEOJSON = "geojson"
    TOPOJSON = "topojson"


ALL_FORMATS = frozenset(Format)
MAPS = frozenset({Format.GEOJSON, Format.TOPOJSON})
NO_MAP = frozenset({Format.JSON, Format.CSV, Format.CHARTJS})
TABULAR = frozenset({Format.JSON, Format.CSV})


def render(result: Result, fmt: Format, reference: Reference, *, bom: bool = False) -> Rendered:
    rendered = _render(result, fmt, reference, bom=bom)
    link = result.link()
    if link is None:
        return rendered
    # RFC 8288, on every format: how a CSV or GeoJSON client finds the next page.
    return replace(rendered, headers={**rendered.headers, "Link": f'<{link}>; rel="next"'})


def _render(result: Result, fmt: Format, reference: Reference, *, bom: bool) -> Rendered:
    from chiiki_stats.formats import chartjs, csv, geojson, json, topojson

    if fmt is Format.CSV:
        return csv.render(result.table(), result.name, bom=bom, credits=result.credits())
    if fmt is Format.CHARTJS:
        return chartjs.render(result.chartjs())
    if fmt is Format.GEOJSON:
        layer = result.geo()
        if layer.level == "prefecture":
            return geojson.render(layer)
        known = reference.regions.by_code
        return geojson.render_boundary(layer, reference.boundaries[layer.level], known)
    if fmt is Format.TOPOJSON:
        layer = result.geo()
        known = reference.regions.by_code
        return topojson.render(layer, reference.boundaries[layer.level], known)
    return json.render(result.json())


__all__ = [
    "ALL_FORMATS",
    "MAPS",
    "NO_MAP",
    "TABULAR",
    "ChartData",
    "Dataset",
    "Format",
    "GeoLayer",
    "Paged",
    "Result",
    "Table",
    "Unit",
    "over_years",
    "render",
]
