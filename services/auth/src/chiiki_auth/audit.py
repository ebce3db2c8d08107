"""The auth service's audit log of admin actions (``auth_audit.events``, see chiiki_shared.audit).

Actions recorded here: ``user.role_changed``, ``user.disabled``, ``user.enabled``.
"""

from __future__ import annotations

from chiiki_shared.audit import AuditLog

AUDIT_LOG = AuditLog("auth")
