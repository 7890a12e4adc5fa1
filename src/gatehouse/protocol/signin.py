"""Sign-in attempts under brute-force protection (accounts/throttle.py), and the audit
events that record them.

A sign-in step makes one call before it checks a secret and one after, which records the
outcome inside the step's ``provider.transaction()``:

- password: ``check_password`` → ``PasswordAttempt.guard.refusal`` → verify →
  ``record_password``;
- a second factor (TOTP, recovery code, passkey), once the user is known:
  ``provider.throttle.guard(second_factor_attempt(...), now)`` → ``guard.refusal`` →
  verify → ``record_failure(...)`` or ``guard.succeeded()``.

A refused attempt is not verified and not recorded one by one (an attacker could fill the
audit log at no cost to himself); the lock it met was recorded when it started.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gatehouse.accounts.authentication import find_account
from gatehouse.accounts.known_browsers import known_device
from gatehouse.accounts.throttle import (
    Attempt,
    Factor,
    Failure,
    Guard,
    Refusal,
    address_key,
    login_subject,
    user_subject,
)
from gatehouse.observability.audit import Actor
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import AuditEvent, User


@dataclass(frozen=True)
class Source:
    """Where a sign-in comes from, as the web layer saw it: the client address (behind a
    trusted proxy, the one it forwarded) and the browser's device cookie, if any."""

    address: str | None
    device_cookie: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PasswordAttempt:
    """A password sign-in about to be verified: the login typed, the account it names
    (None: no such account), and its guard (``guard.refusal``: refused before verifying)."""

    login: str
    user: User | None
    source: Source
    guard: Guard


@dataclass(frozen=True)
class PasswordOutcome:
    """What a recorded password attempt leaves the page to do: after a failure, the wait
    the next attempt meets."""

    refusal: Refusal | None = None


def check_password(provider: Provider, login: str, source: Source, now: int) -> PasswordAttempt:
    """The one check before a password is verified: the same work for every login, whether
    or not it names an account."""
    user = find_account(provider.users, login)
    device = known_device(provider.known_browsers, user, source.device_cookie, now)
    attempt = Attempt("password", login_subject(login), address_key(source.address), device)
    return PasswordAttempt(login, user, source, provider.throttle.guard(attempt, now))


def record_password(
    provider: Provider, checked: PasswordAttempt, user: User | None, client_id: str, now: int
) -> PasswordOutcome:
    """The one record after a password was verified (``user``: the account it signed in,
    None when it failed); call it inside ``provider.transaction()`` with the sign-in."""
    if user is None:
        failure = record_failure(
            provider,
            checked.guard,
            now,
            reason=_failure_reason(checked.user),
            user_id=checked.user.id if checked.user else None,
            username=checked.login,
            client_id=client_id,
            address=checked.source.address,
        )
        return PasswordOutcome(refusal=failure.refusal)
    # The sign-in is recorded (signin.succeeded) when it finishes, perhaps after a second
    # factor (protocol/sign_in_flow.py start_signed_in_session).
    checked.guard.succeeded()
    return PasswordOutcome()


def second_factor_attempt(
    provider: Provider, factor: Factor, user: User, source: Source, now: int
) -> Attempt:
    """The attempt of a second factor (``"totp"``, ``"recovery_code"``, ``"webauthn"``) by
    ``user``."""
    device = known_device(provider.known_browsers, user, source.device_cookie, now)
    return Attempt(factor, user_subject(user.id), address_key(source.address), device)


def record_failure(
    provider: Provider,
    guard: Guard,
    now: int,
    *,
    reason: str,
    user_id: str | None,
    username: str | None,
    client_id: str | None,
    address: str | None,
) -> Failure:
    """Count a failed attempt and record it: signin.failed, and signin.locked for each lock
    it started. Inside ``provider.transaction()``. ``reason`` is for the operator
    (unknown_user, wrong_password, …); the person is told the same whatever it is."""
    failure = guard.failed(now)
    factor = guard.attempt.factor
    events: list[tuple[str, Actor, dict[str, Any]]] = [
        ("signin.failed", "user", {"reason": reason, "factor": factor})
    ]
    events += [
        ("signin.locked", "system", {"scope": lock.scope, "until": lock.until, "factor": factor})
        for lock in failure.locks
    ]
    for event_type, actor, details in events:
        provider.audit.record(
            AuditEvent(
                type=event_type,
                occurred_at=now,
                actor=actor,
                user_id=user_id,
                username=username,
                client_id=client_id,
                ip=address,
                details=details,
            )
        )
    return failure


def _failure_reason(user: User | None) -> str:
    if user is None:
        return "unknown_user"
    if user.disabled:
        return "account_disabled"
    return "wrong_password" if user.password_hash else "no_password"
