"""Password reset by an emailed single-use link (docs/self-service.md).

The request page says the same whatever address is typed, and sends a link only to an
address that belongs to an enabled account (no enumeration). The link works once, for
``password_reset_lifetime``. A new password passes the tenant's password policy; setting it
ends every SSO session and refresh token of the person, as an operator's `user set-password`
does, confirms the address the link went to, and tells the person by email.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from gatehouse.accounts.identifiers import email_problem
from gatehouse.accounts.passwords import password_problem
from gatehouse.accounts.selfservice.mail import MailComposer, MailValues, in_whole_units
from gatehouse.accounts.selfservice.registration import Accepted, FieldErrors, TooManyRequests
from gatehouse.accounts.selfservice.service import (
    Limit,
    LinkState,
    SelfService,
    state_of,
)
from gatehouse.accounts.sessions import sign_out
from gatehouse.storage.records import AuditEvent, SessionSelector, User, UserProfile

# What ends a person's sessions and tokens when they reset their password: the reason
# recorded with the revoked grants, as for an operator's password change.


@dataclass(frozen=True)
class PasswordChanged:
    username: str


def request_reset(
    service: SelfService, email: str, compose: MailComposer, ip: str | None
) -> Accepted | FieldErrors | TooManyRequests:
    problem = email_problem(email)
    if problem is not None:
        return FieldErrors({"email": problem})
    now = service.clock()
    policy = service.policy.get()
    with service.transaction():
        limit = service.within_limits(ip, email.casefold(), now)
        if limit is Limit.SOURCE:
            return TooManyRequests()
        user = _owner_of(service, email)
        service.audit.record(
            AuditEvent(
                "password.reset_requested",
                now,
                "user",
                user.id if user else None,
                email[:320],
                ip=ip,
            )
        )
        if user is None or user.email is None or limit is not Limit.OK:
            return Accepted()
        # Only the newest link works: asking again makes the earlier ones worthless.
        service.tokens.retire(user.id, "reset_password", now)
        link = service.issue_link(
            "reset_password", user.id, user.email, policy.password_reset_lifetime, now
        )
        values: MailValues = {
            "username": user.username,
            "link": link,
            "expires_in": in_whole_units(policy.password_reset_lifetime),
            "issuer": service.issuer,
        }
        service.mail.enqueue(user.email, compose("reset_password", values), now)
    return Accepted()


def _owner_of(service: SelfService, email: str) -> User | None:
    """The enabled account whose email is ``email`` (not one whose username merely is)."""
    user = service.users.find_by_login(email)
    if user is None or user.disabled or (user.email or "").casefold() != email.casefold():
        return None
    return user


def reset_link_state(service: SelfService, token: str | None) -> LinkState:
    """Whether a reset link may still be used (it is not used up here)."""
    found = service.find_token("reset_password", token)
    user = service.users.get(found.user_id) if found is not None else None
    if found is None or user is None or user.disabled:
        return LinkState.INVALID
    return state_of(found, service.clock())


def reset_password(
    service: SelfService, token: str, password: str, compose: MailComposer, ip: str | None
) -> PasswordChanged | FieldErrors | LinkState:
    """Set a new password through a reset link: PasswordChanged, what to correct in the
    form (the link stays usable), or why the link cannot be used."""
    found = service.find_token("reset_password", token)
    user = service.users.get(found.user_id) if found is not None else None
    if found is None or user is None or user.disabled:
        return LinkState.INVALID
    weak = password_problem(password, service.policy.get(), (user.username, user.email))
    if weak is not None:
        return FieldErrors({"password": weak})
    password_hash = service.passwords.hash(password)  # slow: outside the transaction
    now = service.clock()
    with service.transaction():
        used = service.consume("reset_password", token, now)
        if isinstance(used, LinkState):
            return used
        service.users.set_password(user.id, password_hash, now)
        # Whoever knew the old password is signed out everywhere, every grant ends, and the
        # applications those sessions reached are told (back-channel logout).
        everything = SessionSelector(user_id=user.id, every_grant=True)
        sign_out(service.sessions, everything, now, "password_changed", actor="user")
        service.tokens.retire(user.id, "reset_password", now)
        if not user.email_verified and (user.email or "").casefold() == used.email.casefold():
            # The link reached that mailbox: the address is confirmed as well.
            profile = replace(UserProfile.of(user), email_verified=True)
            service.users.update_profile(user.id, profile, now)
        values = {"username": user.username, "issuer": service.issuer}
        service.mail.enqueue(used.email, compose("password_changed", values), now)
        service.audit.record(
            AuditEvent("password.reset", now, "user", user.id, user.username, ip=ip)
        )
    return PasswordChanged(user.username)
