"""The one way the admin commands record what they change in the audit log (issue 12:
every admin change is an event, written in the same transaction as the change)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditEvent

# The command a change comes through when it is not the one named by the event itself:
# "apply" while `gatehouse apply` works through a file, so the log tells a change made from
# configuration as code from one typed by hand.
_via: ContextVar[str | None] = ContextVar("gatehouse_admin_via", default=None)


@contextmanager
def made_through(command: str) -> Iterator[None]:
    """Changes recorded inside this block carry ``"via": command`` in their details."""
    token = _via.set(command)
    try:
        yield
    finally:
        _via.reset(token)


def record_admin_change(runtime: Runtime, event_type: str, **fields: Any) -> None:
    """Record an operator's change; call it inside the ``runtime.database.atomic()`` block
    that makes the change, so that the change and its record commit together."""
    via = _via.get()
    if via is not None:
        fields["details"] = {**(fields.get("details") or {}), "via": via}
    runtime.store.audit.record(
        AuditEvent(type=event_type, occurred_at=int(time.time()), actor="operator", **fields)
    )


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The names (never the values) of the fields whose value differs, for ``details``."""
    return sorted(name for name in after if before.get(name) != after[name])
