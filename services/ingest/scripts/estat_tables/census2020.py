"""The captured 2020 census response 0003445099: already complete, so only re-encoded."""

import json
from pathlib import Path
from typing import Any

from .encoding import estat_json_bytes

STATS_DATA_ID = "0003445099"
SOURCE_FILE = "estat/getStatsData_v3.0_0003445099_census2020_all_areas_raw.json"


def load(shared: Path) -> dict[str, Any]:
    """The body as e-Stat sent it; fails if re-encoding would change a single byte."""
    raw = (shared / SOURCE_FILE).read_bytes()
    body = json.loads(raw)
    result_inf = body["GET_STATS_DATA"]["STATISTICAL_DATA"]["RESULT_INF"]
    if "NEXT_KEY" in result_inf:
        raise ValueError("0003445099 capture is paged; the replay table must be complete")
    if estat_json_bytes(body) != raw:
        raise ValueError("re-encoding 0003445099 does not reproduce the captured bytes")
    return body
