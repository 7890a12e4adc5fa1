"""The one way the admin commands record what they change in the audit log (issue 12:
every admin change is an event, written in the same transaction as the change)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditEvent


def record_admin_change(runtime: Runtime, event_type: str, **fields: Any) -> None:
    """Record an operator's change; call it inside the ``runtime.database.atomic()`` block
    that makes the change, so that the change and its record commit together."""
    runtime.store.audit.record(
        AuditEvent(type=event_type, occurred_at=int(time.time()), actor="operator", **fields)
    )


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The names (never the values) of the fields whose value differs, for ``details``."""
    return sorted(name for name in after if before.get(name) != after[name])
