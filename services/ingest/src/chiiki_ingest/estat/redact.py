"""Keeping the application id out of every URL and text the client logs, stores or raises."""

from __future__ import annotations

import re

REDACTED = "[redacted]"
_APP_ID_PARAM = re.compile(r"(?i)(appId=)[^&#\s'\"]*")


class Secret:
    """A string that does not show itself in repr(), str() or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


def redact(text: str, secret: Secret | None = None) -> str:
    """`text` with any `appId=...` value, and the secret itself wherever it appears, replaced."""
    text = _APP_ID_PARAM.sub(rf"\g<1>{REDACTED}", text)
    if secret is not None and secret.reveal():
        text = text.replace(secret.reveal(), REDACTED)
    return text
