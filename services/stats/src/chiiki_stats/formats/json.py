"""``format=json``: compact UTF-8 JSON, written by orjson (the municipal cross-sections are
megabytes)."""

from __future__ import annotations

from typing import Any

import orjson

from chiiki_shared.cache import Rendered

MEDIA_TYPE = "application/json"


def dumps(document: Any) -> bytes:
    # orjson writes NaN and infinities as null: a missing value is null, never NaN (not JSON).
    # Non-string keys (region codes as ints, years) become strings, as the json module made them.
    return orjson.dumps(document, option=orjson.OPT_NON_STR_KEYS)


def render(document: dict[str, Any]) -> Rendered:
    return Rendered(dumps(document), MEDIA_TYPE)
