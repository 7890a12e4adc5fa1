"""SSO sessions: a random id in an HttpOnly cookie, only its hash stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from gatehouse.accounts.assurance import achieved_acr
from gatehouse.crypto import random_token, sha256_digest
from gatehouse.observability.audit import Actor
from gatehouse.storage.records import EndedSession, SessionSelector, SsoSession, User
from gatehouse.storage.repositories import SessionRepository, UserRepository

MAX_COOKIE_LENGTH = 128  # a longer value is not one gatehouse set: not looked up at all
# A User-Agent is kept to tell the person's sessions apart, not to parse: the first 256
# characters say which browser on which system, and bound the row.
MAX_DEVICE_LENGTH = 256

# Why sessions end; also the reason recorded with the grants revoked with them.
SignOutReason = Literal[
    "logout",  # the person, at the end-session endpoint (RP-initiated or not)
    "operator_sign_out",  # gatehouse user sign-out
    "password_changed",
    "user_disabled",
    "another_sign_in",  # another person signed in in the same browser
    "account_sign_out",  # the person ended a session (or all others) on the account page
]
# Who causes each kind of sign-out, for the audit log.
SIGN_OUT_ACTORS: dict[str, Actor] = {
    "logout": "user",
    "operator_sign_out": "operator",
    "password_changed": "operator",
    "user_disabled": "operator",
    "another_sign_in": "user",
    "account_sign_out": "user",
}


@dataclass(frozen=True)
class SessionLifetimes:
    """Seconds: ``idle`` without activity ends a session, ``absolute`` ends it whatever.
    ``remember_me``: the lifetimes of a session whose person asked to stay signed in, whose
    cookie outlives the browser."""

    idle: int
    absolute: int
    remember_me: bool = False


def device_of(user_agent: str | None) -> str | None:
    """What a session records of the browser's User-Agent: printable, and cut short."""
    if not user_agent:
        return None
    printable = "".join(ch if ch.isprintable() else "?" for ch in user_agent)
    return printable[:MAX_DEVICE_LENGTH]


def start_session(
    sessions: SessionRepository,
    lifetimes: SessionLifetimes,
    now: int,
    user: User,
    amr: tuple[str, ...],
    current_cookie: str | None = None,
    device: str | None = None,
) -> str:
    """The session of a person who has just authenticated with the methods ``amr``
    (RFC 8176); its acr is the class they reach. Returns its new cookie value.

    One browser has one SSO session. When it already has a live one (``current_cookie``)
    and the same person signed in again (prompt=login, max_age), that session is renewed
    under a new cookie value, with a new auth_time and the same ``sid``, so that signing
    out still ends every refresh token tied to it. Another person's session is ended
    first: left alive, nothing could sign it out any more. The cookie value is new either
    way, so a value planted in the browser before the sign-in is worth nothing (session
    fixation).

    The session keeps the ``lifetimes`` it started with (``expires_at``, ``idle_lifetime``)
    and whether the person asked to be remembered: a later change of the settings applies
    to sessions started after it, never silently shortening or extending live ones (to end
    them, sign the person out). ``device`` is the browser's User-Agent (``device_of``)."""
    cookie_value = random_token()
    session = SsoSession(
        sid=uuid.uuid4().hex,
        user_id=user.id,
        auth_time=now,
        amr=amr,
        acr=achieved_acr(amr),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetimes.absolute,
        remember_me=lifetimes.remember_me,
        idle_lifetime=lifetimes.idle,
        device=device,
    )
    if current_cookie and len(current_cookie) <= MAX_COOKIE_LENGTH:
        current = sha256_digest(current_cookie)
        # (A session from before sessions recorded their idle lifetime is judged by this
        # one's: it is the same person, who has just authenticated again in this browser.)
        if sessions.renew(current, sha256_digest(cookie_value), session, lifetimes.idle):
            return cookie_value
        sign_out(sessions, SessionSelector(id_hash=current), now, "another_sign_in")
    sessions.create(sha256_digest(cookie_value), session)
    return cookie_value


def active_session(
    sessions: SessionRepository,
    users: UserRepository,
    lifetimes: SessionLifetimes,
    now: int,
    cookie_value: str | None,
) -> tuple[SsoSession, User] | None:
    """The browser's live session and its enabled user, or None. Using a session counts as
    activity and extends its idle lifetime (never its absolute one)."""
    if not cookie_value or len(cookie_value) > MAX_COOKIE_LENGTH:
        return None
    id_hash = sha256_digest(cookie_value)
    session = sessions.get_active(id_hash, now, lifetimes.idle)
    if session is None:
        return None
    user = users.get(session.user_id)
    if user is None or user.disabled:
        return None
    if now - session.last_seen_at >= 60:  # at most one write a minute per session
        sessions.touch(id_hash, now)
    return session, user


def sign_out(
    sessions: SessionRepository,
    which: SessionSelector,
    now: int,
    reason: SignOutReason,
    actor: Actor | None = None,
) -> list[EndedSession]:
    """The one way SSO sessions end, whoever ends them (``reason``): the sessions end, the
    grants issued within them are revoked (every grant of the person with
    ``which.every_grant``), and every client that took part is told — a back-channel
    logout queued in the same transaction for each that registered a
    ``backchannel_logout_uri`` (OIDC Back-Channel Logout 1.0 §2.5; delivered by
    protocol/backchannel_logout.py). Returns what ended, for the end-session page's
    front-channel frames (Front-Channel Logout 1.0 §2) and the operator's report. Each
    ended session is a ``session.ended`` audit event, caused by ``actor`` (by default, who
    causes that ``reason``)."""
    return sessions.end_sessions(which, now, reason, actor or SIGN_OUT_ACTORS[reason])


def browser_session(cookie_value: str | None) -> SessionSelector | None:
    """The selector of the session a browser's cookie names, or None for no cookie or a
    value gatehouse cannot have set."""
    if not cookie_value or len(cookie_value) > MAX_COOKIE_LENGTH:
        return None
    return SessionSelector(id_hash=sha256_digest(cookie_value))


# The person's own sign-outs (the account page), through the same sign_out.


def end_session_of_user(sessions: SessionRepository, user_id: str, sid: str, now: int) -> bool:
    """End the user's live session ``sid``; False when it is not theirs or already ended."""
    which = SessionSelector(sid=sid, user_id=user_id)
    return bool(sign_out(sessions, which, now, "account_sign_out"))


def end_other_sessions(sessions: SessionRepository, user_id: str, keep_sid: str, now: int) -> int:
    """End every session of the user but ``keep_sid``; how many ended."""
    which = SessionSelector(user_id=user_id, except_sid=keep_sid)
    return len(sign_out(sessions, which, now, "account_sign_out"))
