"""``format=json``: compact UTF-8 JSON."""

from __future__ import annotations

import json
from typing import Any

from chiiki_shared.cache import Rendered

MEDIA_TYPE = "application/json"


def dumps(document: Any) -> bytes:
    # allow_nan=False: a missing value must be null, never NaN (which is not JSON).
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def render(document: dict[str, Any]) -> Rendered:
    return Rendered(dumps(document), MEDIA_TYPE)
