"""The audit chain's hash, computed here from its documented definition (docs/audit.md)."""

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

from chiiki_shared.audit import GENESIS_HASH, Actor, AuditEvent, Origin
from chiiki_shared.audit.chain import normalise_json


def event(**changes) -> AuditEvent:
    values = {
        "seq": 1,
        "occurred_at": datetime(2026, 12, 1, 9, 30, tzinfo=timezone(timedelta(hours=9))),
        "actor": Actor.user("u-1"),
        "action": "user.role_changed",
        "target_type": "user",
        "target_id": "u-2",
        "before": {"role": "user"},
        "after": {"role": "admin"},
        "origin": Origin("203.0.113.9", "req-1"),
        "prev_hash": GENESIS_HASH,
        "hash": "",
    }
    return AuditEvent(**{**values, **changes})


def test_the_hash_is_sha256_of_the_previous_hash_and_the_canonical_row() -> None:
    canonical = (
        '{"action":"user.role_changed","actor_id":"u-1","actor_kind":"user",'
        '"after":{"role":"admin"},"before":{"role":"user"},"client_ip":"203.0.113.9",'
        '"occurred_at":"2026-12-01T00:30:00.000000+00:00","request_id":"req-1","seq":1,'
        '"target_id":"u-2","target_type":"user"}'
    )
    expected = hashlib.sha256((GENESIS_HASH + canonical).encode()).hexdigest()
    assert event().expected_hash() == expected
    assert json.loads(canonical) == event().content()


def test_every_field_is_covered_by_the_hash() -> None:
    base = event().expected_hash()
    for changes in (
        {"seq": 2},
        {"occurred_at": datetime(2026, 12, 1, 0, 30, 0, 1, tzinfo=UTC)},
        {"actor": Actor.service_client("u-1")},
        {"action": "user.disabled"},
        {"target_type": "run"},
        {"target_id": "u-3"},
        {"before": None},
        {"after": {"role": "user"}},
        {"origin": Origin("203.0.113.10", "req-1")},
        {"origin": Origin("203.0.113.9", None)},
        {"prev_hash": "f" * 64},
    ):
        assert event(**changes).expected_hash() != base, changes


def test_values_are_normalised_as_jsonb_returns_them() -> None:
    assert normalise_json({"a": 1.0, "b": 1e20, "c": 0.5, "d": (1, "x"), 2: None}) == {
        "a": 1,
        "b": 100000000000000000000,
        "c": 0.5,
        "d": [1, "x"],
        "2": None,
    }
    assert normalise_json(datetime(2026, 1, 2, tzinfo=UTC)) == "2026-01-02T00:00:00+00:00"
