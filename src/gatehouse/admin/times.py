"""Times in the admin commands' JSON: RFC 3339 in UTC, as `2026-12-07T04:27:12Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def iso_time(value: int | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).isoformat().replace("+00:00", "Z")
