"""A person's SSO sessions, as operators see them."""

from __future__ import annotations

import time
from typing import Any

from gatehouse.admin.users import find_user
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SsoSession


def session_to_json(session: SsoSession, default_idle: int) -> dict[str, Any]:
    """A live session: which browser, since when, and when it ends unless used again (its
    absolute expiry, or its idle lifetime after it was last seen, whichever comes first).
    Times are Unix seconds."""
    idle = session.idle_lifetime if session.idle_lifetime is not None else default_idle
    return {
        "sid": session.sid,
        "device": session.device,
        "remember_me": session.remember_me,
        "created_at": session.created_at,
        "signed_in_at": session.auth_time,
        "last_seen_at": session.last_seen_at,
        "expires_at": min(session.expires_at, session.last_seen_at + idle),
    }


def list_sessions(runtime: Runtime, user_ref: str) -> list[dict[str, Any]]:
    """The user's live SSO sessions, the most recently seen first."""
    user = find_user(runtime, user_ref)
    idle = runtime.provider.config.session_idle_lifetime
    sessions = runtime.store.sessions.list_for_user(user.id, int(time.time()), idle)
    return [session_to_json(s, idle) for s in sessions]
