"""What an operator sees and clears of brute-force protection (`gatehouse user lockouts`,
`gatehouse user unlock`; docs/lockout.md)."""

from __future__ import annotations

import time
from typing import Any

from gatehouse.accounts.throttle import EVERY, login_subject, user_subject
from gatehouse.admin.changes import record_admin_change
from gatehouse.admin.times import iso_time
from gatehouse.admin.users import find_user
from gatehouse.runtime import Runtime
from gatehouse.storage.records import FailureCounter, User


def subjects_of(user: User) -> list[str]:
    """Every subject the user's failures are counted under: each login that names the
    account (username, email) and the account itself (second factors)."""
    logins = [user.username, *([user.email] if user.email else [])]
    return [*dict.fromkeys(login_subject(login) for login in logins), user_subject(user.id)]


def counter_to_json(counter: FailureCounter, now: int) -> dict[str, Any]:
    scope = "account" if counter.source == EVERY else "source"
    return {
        "factor": counter.factor,
        "subject": counter.subject,
        "scope": scope,
        "source": counter.source or None,
        "failures": counter.failures,
        "last_failed_at": iso_time(counter.last_failed_at),
        "locked_until": iso_time(counter.locked_until) if counter.locked_for(now) else None,
        "expires_at": iso_time(counter.expires_at),
    }


def lockouts(runtime: Runtime, ref: str) -> dict[str, Any]:
    """The live failure counters and locks of a user's account."""
    user = find_user(runtime, ref)
    now = int(time.time())
    counters = runtime.store.attempts.of_subjects(subjects_of(user), now)
    return {
        "user_id": user.id,
        "username": user.username,
        "locked": any(c.locked_for(now) for c in counters),
        "counters": [counter_to_json(c, now) for c in counters],
    }


def unlock(runtime: Runtime, ref: str) -> dict[str, Any]:
    """Clear every lock and failure counter of a user's account (not those of the addresses
    it was tried from: they concern every account)."""
    user = find_user(runtime, ref)
    with runtime.database.atomic():
        cleared = runtime.store.attempts.clear_subjects(subjects_of(user))
        record_admin_change(
            runtime,
            "signin.unlocked",
            user_id=user.id,
            username=user.username,
            details={"counters_cleared": cleared},
        )
    return {"user_id": user.id, "username": user.username, "counters_cleared": cleared}
