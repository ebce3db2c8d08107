"""Append-only, hash-chained audit logs of administrative actions, one per audited service.

A service keeps one ``AuditLog`` and calls ``record`` in the transaction of each admin action;
``chiiki_shared.audit.api`` serves ``GET /api/<service>/audit``; ``python -m chiiki_shared.audit
verify --service <name>`` recomputes the chain.
"""

from chiiki_shared.audit.chain import GENESIS_HASH, Actor, AuditEvent, Origin
from chiiki_shared.audit.log import AuditLog, AuditPage, AuditQuery, Problem, Verdict

__all__ = [
    "GENESIS_HASH",
    "Actor",
    "AuditEvent",
    "AuditLog",
    "AuditPage",
    "AuditQuery",
    "Origin",
    "Problem",
    "Verdict",
]
