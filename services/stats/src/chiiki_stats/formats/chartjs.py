"""``format=chartjs``: exactly Chart.js's ``data`` object (``labels``, ``datasets[].label``,
``datasets[].data``), with null where a value is missing so Chart.js leaves a gap."""

from __future__ import annotations

from chiiki_shared.cache import Rendered
from chiiki_stats.formats import json
from chiiki_stats.formats.base import ChartData


def render(chart: ChartData) -> Rendered:
    return Rendered(json.dumps(chart.as_dict()), json.MEDIA_TYPE)
