"""`gatehouse user lockouts` and `gatehouse user unlock`: an operator sees and clears the
failed sign-ins and locks of an account."""

from __future__ import annotations

import time

from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.cli.conftest import Gatehouse
from tests.support.factories import make_user

SOURCE = "ip:203.0.113.6"


def lock_alice(runtime: Runtime) -> str:
    """Failures of alice by username (her account locked for that source) and by email, one
    of a second factor, and some of the source against another login."""
    user_id = str(make_user(runtime, "alice")["id"])
    attempts, now = runtime.store.attempts, int(time.time())
    attempts.count_failure(
        "password",
        [(("login:alice", SOURCE), 1), (("login:alice", ""), 50), (("", SOURCE), 100)],
        now,
        900,
    )
    attempts.count_failure("password", [(("login:alice@example.com", SOURCE), 10)], now, 900)
    attempts.count_failure("totp", [((f"user:{user_id}", SOURCE), 10)], now, 900)
    attempts.count_failure("password", [(("login:bob", SOURCE), 10)], now, 900)
    return user_id


def test_lockouts_show_every_counter_of_the_account(gh: Gatehouse, runtime: Runtime) -> None:
    user_id = lock_alice(runtime)
    shown = gh.ok("user", "lockouts", "alice@example.com")
    assert (shown["user_id"], shown["username"], shown["locked"]) == (user_id, "alice", True)
    assert sorted(
        (c["factor"], c["subject"], c["scope"], c["source"]) for c in shown["counters"]
    ) == [
        ("password", "login:alice", "account", None),
        ("password", "login:alice", "source", SOURCE),
        ("password", "login:alice@example.com", "source", SOURCE),
        ("totp", f"user:{user_id}", "source", SOURCE),
    ]
    [locked] = [c for c in shown["counters"] if c["locked_until"]]
    assert (locked["subject"], locked["failures"]) == ("login:alice", 1)


def test_unlock_clears_the_account_and_records_it(gh: Gatehouse, runtime: Runtime) -> None:
    user_id = lock_alice(runtime)
    cleared = gh.ok("user", "unlock", "alice")
    assert cleared == {"user_id": user_id, "username": "alice", "counters_cleared": 4}
    assert gh.ok("user", "lockouts", "alice")["counters"] == []
    # The address's counter concerns every account, and bob's is bob's.
    now = int(time.time())
    assert len(runtime.store.attempts.counters("password", [("", SOURCE)], now)) == 1
    assert len(runtime.store.attempts.of_subjects(["login:bob"], now)) == 1
    [event] = runtime.store.audit.list(AuditQuery(types=("signin.unlocked",)))
    assert (event.actor, event.user_id, event.details) == (
        "operator",
        user_id,
        {"counters_cleared": 4},
    )


def test_unknown_users_are_one_line_errors(gh: Gatehouse) -> None:
    assert gh.fails("user", "unlock", "nobody") == "error: no user 'nobody'"
    assert gh.fails("user", "lockouts", "nobody") == "error: no user 'nobody'"
