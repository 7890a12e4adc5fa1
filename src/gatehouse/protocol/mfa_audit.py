"""Audit events of second factors (observability/audit.py lists the ``mfa.*`` types)."""

from __future__ import annotations

from typing import Any

from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import AuditEvent, User


def record_event(
    provider: Provider,
    event_type: str,
    user: User,
    client_id: str | None,
    ip: str | None,
    now: int,
    details: dict[str, Any],
) -> None:
    """Record an event of the person ``user``; call inside ``provider.transaction()`` with
    the change it records. ``details`` names methods and counts, never a code."""
    provider.audit.record(
        AuditEvent(
            type=event_type,
            occurred_at=now,
            actor="user",
            user_id=user.id,
            username=user.username,
            client_id=client_id,
            ip=ip,
            details=details,
        )
    )
