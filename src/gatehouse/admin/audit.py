"""Reading the audit log (`gatehouse audit list`); admin/changes.py records the admin changes."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

from gatehouse.admin.errors import AdminError
from gatehouse.admin.times import iso_time
from gatehouse.admin.users import find_user
from gatehouse.observability.audit import EVENT_TYPES
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditEvent, AuditQuery

MAX_LIMIT = 10_000
_RELATIVE = re.compile(r"(\d{1,9})([smhd])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(value: str, option: str, now: int) -> int:
    """A point in time as the CLI takes it: a span before now (``90m``, ``24h``, ``7d``), or
    an ISO 8601 date or date-time (UTC unless it names an offset)."""
    relative = _RELATIVE.fullmatch(value.strip())
    if relative:
        return now - int(relative[1]) * _UNIT_SECONDS[relative[2]]
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise AdminError(
            f"{option} {value!r} is not a time: give a span before now (30m, 24h, 7d) or an "
            "ISO 8601 date or date-time (2026-12-01, 2026-12-01T08:00:00Z)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp())


def _event_type_filter(name: str) -> str:
    known = any(t == name or t.startswith(f"{name}.") for t in EVENT_TYPES)
    if not known:
        families = sorted({t.split(".")[0] for t in EVENT_TYPES})
        raise AdminError(
            f"--type {name!r} matches no event type; give a type (signin.failed) or a family "
            f"({', '.join(families)}); docs/audit.md lists them"
        )
    return name


def event_to_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "time": iso_time(event.occurred_at),
        "type": event.type,
        "actor": event.actor,
        "user_id": event.user_id,
        "username": event.username,
        "client_id": event.client_id,
        "ip": event.ip,
        "details": event.details,
    }


def list_events(
    runtime: Runtime,
    *,
    user_ref: str | None = None,
    client_id: str | None = None,
    types: tuple[str, ...] = (),
    since: str | None = None,
    until: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """The events matching every filter given, newest first."""
    now = int(time.time())
    if not 1 <= limit <= MAX_LIMIT:
        raise AdminError(f"--limit must be between 1 and {MAX_LIMIT}")
    user_id = None
    if user_ref is not None:
        # A person's events outlive their account: an id that names no user any more is
        # still looked up as it is.
        try:
            user_id = find_user(runtime, user_ref).id
        except AdminError:
            user_id = user_ref
    query = AuditQuery(
        user_id=user_id,
        client_id=client_id,
        types=tuple(_event_type_filter(t) for t in types),
        since=parse_time(since, "--since", now) if since is not None else None,
        until=parse_time(until, "--until", now) if until is not None else None,
        before_id=before_id,
        limit=limit,
    )
    return [event_to_json(e) for e in runtime.store.audit.list(query)]
