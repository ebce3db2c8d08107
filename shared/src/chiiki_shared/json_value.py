"""``JsonValue``: any JSON value, as a named recursive schema instead of ``{}``.

For members that hold a document the API passes through (dashboard settings, audit diffs, job
parameters): the OpenAPI document then says "JSON", and a generated client gets a JSON type
instead of ``unknown``.
"""

from __future__ import annotations

from typing import Union

from typing_extensions import TypeAliasType

JsonValue = TypeAliasType(  # type: ignore[misc]
    "JsonValue",
    Union[str, int, float, bool, list["JsonValue"], dict[str, "JsonValue"], None],  # type: ignore[misc]  # noqa: UP007
)
