"""protocol/signin.py: a password sign-in under brute-force protection. The check before
the password is verified (``check_password``: refused or not, the same for every login), the
record after it (``record_password``: a failure counted, with signin.failed and signin.locked
in the audit log; a success forgetting this source's failures), and the second factors'
attempts. The clock is moved past the waits and locks; nothing sleeps."""

from __future__ import annotations

import pytest

from gatehouse.accounts.authentication import verify_password
from gatehouse.accounts.known_browsers import remember_browser
from gatehouse.accounts.throttle import Refusal, device_source
from gatehouse.admin.policy import set_policy
from gatehouse.admin.users import create_user, set_disabled
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.signin import (
    PasswordOutcome,
    Source,
    check_password,
    record_failure,
    record_password,
    second_factor_attempt,
)
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditEvent, AuditQuery, User
from tests.support.factories import PASSWORD, make_user
from tests.support.flow import FakeClock

HERE = Source("203.0.113.7")
LOCK = 600  # lockout_duration, seconds


def attempt(
    runtime: Runtime, login: str, password: str, source: Source = HERE
) -> Refusal | PasswordOutcome:
    """One password sign-in as POST /login makes it: the refusal it met before verifying,
    or the outcome recorded after."""
    provider = runtime.provider
    now = provider.clock()
    checked = check_password(provider, login, source, now)
    if checked.guard.refusal is not None:
        return checked.guard.refusal
    user = verify_password(provider.users, runtime.passwords, checked.user, password)
    with provider.transaction():
        return record_password(provider, checked, user, "web", now)


def events(provider: Provider, event_type: str) -> list[AuditEvent]:
    """The events of ``event_type``, oldest first."""
    return provider.audit.list(AuditQuery(types=(event_type,)))[::-1]


def locks(runtime: Runtime, source: int = 100, account: int = 100, address: int = 1000) -> None:
    """Thresholds far apart, so that one lock at a time is reached (the delay begins with
    the source lock, which it may not follow)."""
    set_policy(
        runtime,
        (
            f"source_lockout_threshold={source}",
            f"account_lockout_threshold={account}",
            f"address_failure_limit={address}",
            f"lockout_duration={LOCK}",
            f"login_delay_after_failures={source}",
        ),
        (),
    )


# -- Before the password is verified ----------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "found"),
    [
        ("alice", True),
        ("  ALICE@example.com ", True),  # an email, matched as logins are
        ("mallory", False),
        ("a" * 321, False),  # longer than any login: not looked up
    ],
)
def test_the_check_finds_the_account_a_login_names_and_lets_a_first_attempt_through(
    provider: Provider, alice: User, login: str, found: bool
) -> None:
    checked = check_password(provider, login, HERE, provider.clock())
    assert (checked.user.id if checked.user else None) == (alice.id if found else None)
    assert (checked.login, checked.source, checked.guard.refusal) == (login, HERE, None)
    assert checked.guard.attempt.factor == "password"
    assert checked.guard.attempt.address == "ip:203.0.113.7"


# -- A failure: counted and recorded ----------------------------------------------------------


@pytest.mark.parametrize(
    ("login", "password", "reason", "known"),
    [
        ("alice", "not the password", "wrong_password", True),
        ("mallory", PASSWORD, "unknown_user", False),
        ("disabled", PASSWORD, "account_disabled", True),
        ("nopass", PASSWORD, "no_password", True),
    ],
)
def test_a_failure_is_recorded_with_its_reason_for_the_operator(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    alice: User,
    login: str,
    password: str,
    reason: str,
    known: bool,
) -> None:
    make_user(runtime, "disabled")
    set_disabled(runtime, "disabled", True)
    create_user(runtime, "nopass", None)
    account = provider.users.find_by_login(login)
    assert attempt(runtime, login, password) == PasswordOutcome(refusal=None)
    (event,) = events(provider, "signin.failed")
    assert event == AuditEvent(
        type="signin.failed",
        occurred_at=clock.now,
        actor="user",
        user_id=account.id if known and account else None,
        username=login,
        client_id="web",
        ip="203.0.113.7",
        details={"reason": reason, "factor": "password"},
        id=event.id,
    )
    assert events(provider, "signin.locked") == []


def test_a_wrong_password_is_counted_until_the_next_attempt_must_wait(
    provider: Provider, clock: FakeClock, alice: User, runtime: Runtime
) -> None:
    """The default policy: from the third failure on, the next attempt from the same source
    waits 1 second, then 2, 4, ..."""
    outcomes = [attempt(runtime, "alice", "wrong") for _ in range(3)]
    assert outcomes == [PasswordOutcome(), PasswordOutcome(), PasswordOutcome(Refusal("delay", 1))]
    assert attempt(runtime, "alice", PASSWORD) == Refusal("delay", 1)  # even the right one
    elsewhere = check_password(provider, "alice", Source("198.51.100.9"), clock.now)
    assert elsewhere.guard.refusal is None
    clock.advance(1)
    assert attempt(runtime, "alice", "wrong") == PasswordOutcome(Refusal("delay", 2))
    assert len(events(provider, "signin.failed")) == 4  # the refused one was not recorded


def test_a_success_forgets_the_failures_of_its_source(
    provider: Provider, alice: User, runtime: Runtime
) -> None:
    for _ in range(2):
        attempt(runtime, "alice", "wrong")
    assert attempt(runtime, "alice", PASSWORD) == PasswordOutcome()
    # Counted from zero again: a third failure in all is not yet the third in a row.
    assert attempt(runtime, "alice", "wrong") == PasswordOutcome()
    assert attempt(runtime, "alice", "wrong") == PasswordOutcome()
    assert attempt(runtime, "alice", "wrong") == PasswordOutcome(Refusal("delay", 1))
    # The sign-in itself is recorded when it finishes (sign_in_flow), not here.
    assert events(provider, "signin.succeeded") == []


def test_unknown_logins_are_answered_like_known_ones(
    provider: Provider, alice: User, runtime: Runtime
) -> None:
    """Neither the answers nor the waits tell whether a login names an account."""
    known = [attempt(runtime, "alice", "wrong", Source("192.0.2.1")) for _ in range(5)]
    unknown = [attempt(runtime, "mallory", "wrong", Source("192.0.2.2")) for _ in range(5)]
    assert known == unknown
    assert known[-1] == Refusal("delay", 1)
    failed = events(provider, "signin.failed")
    assert [e.details["reason"] for e in failed] == 3 * ["wrong_password"] + 3 * ["unknown_user"]


# -- Locks ------------------------------------------------------------------------------------


def test_a_source_lock_refuses_before_verifying_and_ends_with_its_duration(
    runtime: Runtime, provider: Provider, clock: FakeClock, alice: User
) -> None:
    locks(runtime, source=3)
    outcomes = [attempt(runtime, "alice", "wrong") for _ in range(3)]
    assert outcomes[-1] == PasswordOutcome(Refusal("source", LOCK))
    (locked,) = events(provider, "signin.locked")
    assert (locked.actor, locked.user_id, locked.username, locked.ip) == (
        "system",
        alice.id,
        "alice",
        "203.0.113.7",
    )
    assert locked.details == {"scope": "source", "until": clock.now + LOCK, "factor": "password"}
    clock.advance(LOCK - 1)
    assert attempt(runtime, "alice", PASSWORD) == Refusal("source", 1)
    assert len(events(provider, "signin.failed")) == 3  # refusals are not recorded
    # Another address is not locked out.
    assert attempt(runtime, "alice", PASSWORD, Source("198.51.100.9")) == PasswordOutcome()
    clock.advance(1)
    assert attempt(runtime, "alice", PASSWORD) == PasswordOutcome()


def _lock_the_account(runtime: Runtime, login: str = "alice") -> None:
    """Three failures from three addresses: the account-wide lock."""
    for n in range(3):
        attempt(runtime, login, "wrong", Source(f"198.51.100.{n}"))
    scopes = [e.details["scope"] for e in events(runtime.provider, "signin.locked")]
    assert scopes == ["account"]


def test_an_account_lock_refuses_every_address(
    runtime: Runtime, provider: Provider, clock: FakeClock, alice: User
) -> None:
    locks(runtime, account=3)
    _lock_the_account(runtime)
    assert attempt(runtime, "alice", PASSWORD, Source("192.0.2.50")) == Refusal("account", LOCK)
    clock.advance(LOCK)
    assert attempt(runtime, "alice", PASSWORD, Source("192.0.2.50")) == PasswordOutcome()


def test_a_known_browser_is_spared_the_account_lock(
    runtime: Runtime, provider: Provider, clock: FakeClock, alice: User
) -> None:
    locks(runtime, account=3)
    cookie = remember_browser(provider.known_browsers, alice, None, clock.now)
    assert cookie is not None
    make_user(runtime, "bob")
    _lock_the_account(runtime)
    bobs = [attempt(runtime, "bob", "wrong", Source(f"198.51.100.{n}")) for n in range(3)]
    assert bobs[-1] == PasswordOutcome(Refusal("account", LOCK))
    elsewhere = Source("192.0.2.50")
    known = Source("192.0.2.50", device_cookie=cookie)
    assert attempt(runtime, "alice", PASSWORD, elsewhere) == Refusal("account", LOCK)
    # The browser alice signed in from gets in, with the same address...
    checked = check_password(provider, "alice", known, clock.now)
    assert checked.guard.attempt.device == device_source(cookie)
    assert attempt(runtime, "alice", PASSWORD, known) == PasswordOutcome()
    # ...but it is not known to bob, nor is a cookie it never had.
    assert attempt(runtime, "bob", PASSWORD, known) == Refusal("account", LOCK)
    forged = Source("192.0.2.50", device_cookie="x" * 43)
    assert attempt(runtime, "alice", PASSWORD, forged) == Refusal("account", LOCK)


def test_an_address_that_fails_on_many_logins_is_locked_for_all_of_them(
    runtime: Runtime, provider: Provider, clock: FakeClock, alice: User
) -> None:
    locks(runtime, address=3)
    outcomes = [attempt(runtime, login, "wrong") for login in ("carol", "dave", "erin")]
    assert outcomes[-1] == PasswordOutcome(Refusal("address", LOCK))
    (locked,) = events(provider, "signin.locked")
    assert (locked.username, locked.details["scope"]) == ("erin", "address")
    assert attempt(runtime, "alice", PASSWORD) == Refusal("address", LOCK)
    assert attempt(runtime, "alice", PASSWORD, Source("192.0.2.50")) == PasswordOutcome()


# -- Second factors ---------------------------------------------------------------------------


def test_a_second_factor_attempt_is_the_users_from_the_browser_or_the_address(
    provider: Provider, clock: FakeClock, alice: User
) -> None:
    cookie = remember_browser(provider.known_browsers, alice, None, clock.now)
    assert cookie is not None
    plain = second_factor_attempt(provider, "totp", alice, HERE, clock.now)
    assert tuple(plain) == ("totp", f"user:{alice.id}", "ip:203.0.113.7", None)
    known = second_factor_attempt(
        provider, "recovery_code", alice, Source("203.0.113.7", cookie), clock.now
    )
    assert tuple(known) == (
        "recovery_code",
        f"user:{alice.id}",
        "ip:203.0.113.7",
        device_source(cookie),
    )


def test_record_failure_counts_a_second_factor_and_records_its_lock(
    runtime: Runtime, provider: Provider, clock: FakeClock, alice: User
) -> None:
    locks(runtime, source=2)
    found = []
    for _ in range(2):
        guard = provider.throttle.guard(
            second_factor_attempt(provider, "totp", alice, HERE, clock.now), clock.now
        )
        assert guard.refusal is None
        with provider.transaction():
            found.append(
                record_failure(
                    provider,
                    guard,
                    clock.now,
                    reason="wrong_code",
                    user_id=alice.id,
                    username="alice",
                    client_id=None,
                    address=HERE.address,
                )
            )
    assert found[0].locks == ()
    assert [(lock.scope, lock.until) for lock in found[1].locks] == [("source", clock.now + LOCK)]
    assert found[1].refusal == Refusal("source", LOCK)
    failed = events(provider, "signin.failed")
    assert [e.details for e in failed] == 2 * [{"reason": "wrong_code", "factor": "totp"}]
    (locked,) = events(provider, "signin.locked")
    assert locked.details == {"scope": "source", "until": clock.now + LOCK, "factor": "totp"}
    # The password is another factor: not locked by the code's failures.
    assert check_password(provider, "alice", HERE, clock.now).guard.refusal is None
