"""JSON exactly as e-Stat writes it: compact, ASCII only, `\\uXXXX` with upper-case hex.

Besides every non-ASCII character, e-Stat escapes `<` and `>` (seen in the recorded 0003146500
body); its specification lists `&`, `=` and `'` with them, so those are escaped too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_HTML_SENSITIVE = "<>&='"


class _EscapeTable(dict[int, str]):
    """A `str.translate` table that computes (and keeps) each character's escape on first use."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        if char in _SHORT_ESCAPES:
            escaped = _SHORT_ESCAPES[char]
        elif codepoint > 0xFFFF:
            high, low = divmod(codepoint - 0x10000, 0x400)
            escaped = f"\\u{0xD800 + high:04X}\\u{0xDC00 + low:04X}"
        elif codepoint < 0x20 or codepoint > 0x7E or char in _HTML_SENSITIVE:
            escaped = f"\\u{codepoint:04X}"
        else:
            escaped = char
        self[codepoint] = escaped
        return escaped


_TABLE = _EscapeTable()


def quote(text: str) -> str:
    """A JSON string literal in e-Stat's escaping."""
    return '"' + text.translate(_TABLE) + '"'


def dumps(value: Any) -> str:
    """Serialise plain JSON data (dicts keep their order) the way e-Stat does."""
    return "".join(_chunks(value))


def _chunks(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield quote(value)
    elif isinstance(value, bool):
        yield "true" if value else "false"
    elif value is None:
        yield "null"
    elif isinstance(value, int | float):
        yield repr(value)
    elif isinstance(value, Mapping):
        yield from _object_chunks(value)
    elif isinstance(value, Sequence):
        yield "["
        for index, item in enumerate(value):
            if index:
                yield ","
            yield from _chunks(item)
        yield "]"
    else:
        raise TypeError(f"cannot encode {type(value).__name__}")


def _object_chunks(value: Mapping[str, Any]) -> Iterator[str]:
    yield "{"
    for index, (key, item) in enumerate(value.items()):
        if index:
            yield ","
        yield quote(key)
        yield ":"
        yield from _chunks(item)
    yield "}"
