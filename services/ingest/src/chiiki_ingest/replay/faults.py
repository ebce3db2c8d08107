"""Faults injected into e-Stat answers at run time, and the log of what was asked.

Faults wait in a queue; each API request takes the first one whose `match` fits it, and a fault is
used up after `count` requests (`null` keeps it until cleared).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("latency", "status", "timeout", "truncate", "reset")
_MATCH_KEYS = ("endpoint", "statsDataId", "startPosition")
_DEFAULT_SECONDS = {"latency": 1.0, "timeout": 30.0}
REDACTED = "[redacted]"


@dataclass
class Fault:
    kind: str
    status: int = 503
    retry_after: str | None = None
    seconds: float = 0.0
    bytes: int = 64
    count: int | None = 1
    match: dict[str, str] = field(default_factory=dict)
    used: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        kind = data.get("kind")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}")
        fault = cls(
            kind=kind,
            status=int(data.get("status", 503)),
            retry_after=_optional_text(data.get("retry_after")),
            seconds=float(data.get("seconds", _DEFAULT_SECONDS.get(kind, 0.0))),
            bytes=int(data.get("bytes", 64)),
            count=None if data.get("count", 1) is None else int(data.get("count", 1)),
            match=_match(data),
        )
        fault.validate()
        return fault

    def validate(self) -> None:
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if self.seconds < 0 or self.bytes < 0 or (self.count is not None and self.count < 1):
            raise ValueError("seconds and bytes must be >= 0 and count >= 1 (or null)")

    def matches(self, endpoint: str, params: Mapping[str, str]) -> bool:
        request = {"endpoint": endpoint, **params}
        return all(request.get(key) == value for key, value in self.match.items())

    @property
    def spent(self) -> bool:
        return self.count is not None and self.used >= self.count


def _optional_text(value: Any) -> str | None:
    return None if value is None else str(value)


def _match(data: Mapping[str, Any]) -> dict[str, str]:
    match = {key: str(value) for key, value in (data.get("match") or {}).items()}
    for key in _MATCH_KEYS:
        if key in data:
            match[key] = str(data[key])
    return match


class FaultBook:
    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self._faults.append(fault)

    def clear(self) -> None:
        self._faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        return [asdict(fault) for fault in self._faults]

    def take(self, endpoint: str, params: Mapping[str, str]) -> Fault | None:
        for fault in self._faults:
            if fault.matches(endpoint, params):
                fault.used += 1
                if fault.spent:
                    self._faults.remove(fault)
                return fault
        return None


class RequestLog:
    """What the API endpoints were asked, newest last, with the application id never kept."""

    def __init__(self, size: int = 10_000) -> None:
        self._entries: deque[dict[str, Any]] = deque(maxlen=size)
        self._sequence = 0

    def record(self, endpoint: str, params: Mapping[str, str], app_id_state: str) -> dict[str, Any]:
        self._sequence += 1
        shown = {k: (REDACTED if k == "appId" else v) for k, v in params.items()}
        entry = {
            "seq": self._sequence,
            "time": time.time(),
            "endpoint": endpoint,
            "params": shown,
            "app_id": app_id_state,
            "fault": None,
            "http_status": None,
        }
        self._entries.append(entry)
        return entry

    def entries(self) -> list[dict[str, Any]]:
        return list(self._entries)

    def clear(self) -> None:
        self._entries.clear()
