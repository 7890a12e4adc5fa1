"""The person's own profile and password."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatehouse.accounts.passwords import Passwords, password_problem
from gatehouse.accounts.profile import (
    ADDRESS_PARTS,
    SELF_EDITABLE_FIELDS,
    ProfileError,
    changed_profile,
)
from gatehouse.accounts.sessions import sign_out, start_session
from gatehouse.protocol.account.holder import AccountError, AccountHolder, Refusal, record
from gatehouse.protocol.account.signin import require_recent_sign_in
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import SessionSelector, UserProfile


def update_profile(
    provider: Provider, holder: AccountHolder, submitted: Mapping[str, str | None]
) -> list[str]:
    """Set the claims a person may edit (accounts/profile.py SELF_EDITABLE_FIELDS) to what
    the form holds: blank clears a claim. The names of the claims that changed."""
    changes: dict[str, Any] = {
        name: _typed(submitted, name) for name in SELF_EDITABLE_FIELDS if name != "address"
    }
    # The address's parts are fields of their own (accounts/profile.py ADDRESS_PARTS).
    changes["address"] = {part: _typed(submitted, part) for part in ADDRESS_PARTS}
    current = UserProfile.of(holder.user)
    try:
        profile = changed_profile(current, changes)
    except ProfileError as exc:
        raise AccountError(Refusal.PROFILE_RULE, profile=exc) from None
    changed = [
        name for name in SELF_EDITABLE_FIELDS if getattr(profile, name) != getattr(current, name)
    ]
    if changed:
        with provider.transaction():
            provider.users.update_profile(holder.user.id, profile, provider.clock())
            record(provider, holder, "account.profile_updated", details={"fields": changed})
    return changed


def _typed(submitted: Mapping[str, str | None], name: str) -> str | None:
    return (submitted.get(name) or "").strip() or None


def change_password(
    provider: Provider,
    passwords: Passwords,
    holder: AccountHolder,
    current: str,
    new: str,
    confirmation: str,
) -> tuple[str, int | None]:
    """A new password, on a recent sign-in and with the current one. Every other session of
    the person ends and every grant (refresh tokens, offline ones too) is revoked; this
    browser's session stays, renewed: a new cookie value and an auth_time of now, since the
    person just proved the password. Returns the new cookie value and its Max-Age (None: a
    browser-session cookie, as the session was not remembered)."""
    require_recent_sign_in(provider, holder.session)
    if not passwords.verify(holder.user.password_hash, current):
        raise AccountError(Refusal.WRONG_PASSWORD)
    if new != confirmation:
        raise AccountError(Refusal.CONFIRMATION_DIFFERS)
    # The tenant's policy, as registration and reset apply it.
    user = holder.user
    problem = password_problem(new, provider.policy.get(), (user.username, user.email))
    if problem is not None:
        raise AccountError(Refusal.WEAK_PASSWORD, password=problem)
    new_hash = passwords.hash(new)  # slow: outside the transaction
    now = provider.clock()
    session = holder.session
    with provider.transaction():
        provider.users.set_password(user.id, new_hash, now)
        # Every other session ends, and its applications are told (back-channel logout).
        others = SessionSelector(user_id=user.id, except_sid=session.sid, every_grant=True)
        sign_out(provider.sessions, others, now, "password_changed", actor="user")
        # Renewed as it was: remembered or not, on the same device.
        lifetimes = provider.config.lifetimes_for(session.remember_me)
        cookie = start_session(
            provider.sessions,
            lifetimes,
            now,
            user,
            session.amr,
            holder.session_cookie,
            session.device,
        )
        record(provider, holder, "account.password_changed")
    return cookie, lifetimes.absolute if session.remember_me else None
