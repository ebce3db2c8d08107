"""Output formats of the data endpoints: JSON (default), CSV, Chart.js and GeoJSON.

A service returns a ``Result``; ``render`` turns it into bytes in the format the caller asked
for. Each route declares which formats make sense for it (a single region's time series has no
map), and asking for another is a 422.
"""

from __future__ import annotations

from enum import StrEnum

from chiiki_shared.cache import Rendered
from chiiki_stats.formats.base import ChartData, GeoLayer, Result, Table


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    CHARTJS = "chartjs"
    GEOJSON = "geojson"


ALL_FORMATS = frozenset(Format)
NO_MAP = frozenset({Format.JSON, Format.CSV, Format.CHARTJS})
TABULAR = frozenset({Format.JSON, Format.CSV})


def render(result: Result, fmt: Format) -> Rendered:
    from chiiki_stats.formats import chartjs, csv, geojson, json

    if fmt is Format.CSV:
        return csv.render(result.table(), result.name)
    if fmt is Format.CHARTJS:
        return chartjs.render(result.chartjs())
    if fmt is Format.GEOJSON:
        return geojson.render(result.geo())
    return json.render(result.json())


__all__ = [
    "ALL_FORMATS",
    "NO_MAP",
    "TABULAR",
    "ChartData",
    "Format",
    "GeoLayer",
    "Result",
    "Table",
    "render",
]
