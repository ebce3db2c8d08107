"""The limits every service applies to client input (docs/api-conventions.md).

Integers are bounded by the column type they end up in, so an out-of-range value is a 422 and
never reaches PostgreSQL (where it would fail as a server error). Text is checked for control
characters and lone surrogates, which PostgreSQL refuses (NUL) or cannot encode (surrogates).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

import annotated_types as at
from pydantic import AfterValidator

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# An ``integer`` column / a ``bigint`` column; the non-negative forms for counts and offsets.
Int32 = Annotated[int, at.Ge(INT32_MIN), at.Le(INT32_MAX)]
NonNegInt32 = Annotated[int, at.Ge(0), at.Le(INT32_MAX)]
Int64 = Annotated[int, at.Ge(INT64_MIN), at.Le(INT64_MAX)]
NonNegInt64 = Annotated[int, at.Ge(0), at.Le(INT64_MAX)]

MAX_JSON_DEPTH = 32
MAX_JSON_STRING_LENGTH = 65_536
MAX_QUERY_VALUE_LENGTH = 2_048

# Control characters (Unicode category Cc) and lone surrogates (Cs); the second form allows tab
# and line breaks, for text that may have more than one line (descriptions, free JSON).
_ANY_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(value: str, *, multi_line: bool = False) -> str | None:
    """The first control character or lone surrogate of ``value`` (tab, CR and LF allowed when
    ``multi_line``), else ``None``."""
    found = (_CONTROL_BUT_LINES if multi_line else _ANY_CONTROL).search(value)
    return found.group() if found else None


def describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def _check(value: str, *, multi_line: bool) -> str:
    char = forbidden_character(value, multi_line=multi_line)
    if char is not None:
        raise ValueError(f"must not contain the control character {describe(char)}")
    return value


def _single_line(value: str) -> str:
    return _check(value, multi_line=False)


def _multi_line(value: str) -> str:
    return _check(value, multi_line=True)


# Names, codes, emails: no control character at all. Descriptions: tab and line breaks allowed.
# Put the validators after any StringConstraints (``Annotated[str, StringConstraints(...),
# SINGLE_LINE]``): constraints placed after a validator are not applied.
SINGLE_LINE = AfterValidator(_single_line)
MULTI_LINE = AfterValidator(_multi_line)
SingleLineText = Annotated[str, SINGLE_LINE]
MultiLineText = Annotated[str, MULTI_LINE]
