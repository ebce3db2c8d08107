"""The hash chain of an audit log: each row's hash covers its content and the previous hash.

``hash = sha256(prev_hash || canonical JSON of the row)``, hex-encoded; the first row's previous
hash is ``GENESIS_HASH``. Editing any stored field of a row changes its hash; removing a row
breaks the sequence and the next row's link.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64

JsonValue = dict[str, Any] | list[Any] | str | int | float | bool | None


def normalise_json(value: Any) -> JsonValue:
    """``value`` as JSONB gives it back, so a hash computed before storing matches one after.

    Non-JSON values (datetimes, UUIDs) become strings. JSONB keeps numbers as decimals and prints
    ``1e20`` as ``100000000000000000000``; integral floats are therefore stored as integers.
    """
    if isinstance(value, Mapping):
        return {str(key): normalise_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalise_json(item) for item in value]
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted: a user (``kind="user"``) or a service client (``kind="service_client"``)."""

    kind: str
    id: str

    @classmethod
    def user(cls, user_id: str) -> Actor:
        return cls("user", str(user_id))

    @classmethod
    def service_client(cls, client_id: str) -> Actor:
        return cls("service_client", str(client_id))


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the action came from: the trusted client address and the request id."""

    client_ip: str | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One row of an audit log, as stored."""

    seq: int
    occurred_at: datetime
    actor: Actor
    action: str
    target_type: str
    target_id: str
    before: JsonValue
    after: JsonValue
    origin: Origin
    prev_hash: str
    hash: str

    def content(self) -> dict[str, Any]:
        """What the hash covers: every stored field but the hashes themselves."""
        return {
            "seq": self.seq,
            "occurred_at": self.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor_kind": self.actor.kind,
            "actor_id": self.actor.id,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "before": normalise_json(self.before),
            "after": normalise_json(self.after),
            "client_ip": self.origin.client_ip,
            "request_id": self.origin.request_id,
        }

    def expected_hash(self) -> str:
        return chain_hash(self.prev_hash, self.content())


def chain_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_json(content).encode("utf-8"))
    return digest.hexdigest()
