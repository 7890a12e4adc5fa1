"""SSO sessions: a random id in an HttpOnly cookie, only its hash stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from gatehouse.accounts.assurance import achieved_acr
from gatehouse.crypto import random_token, sha256_digest
from gatehouse.storage.records import SsoSession, User
from gatehouse.storage.repositories import SessionRepository, UserRepository

MAX_COOKIE_LENGTH = 128  # a longer value is not one gatehouse set: not looked up at all


@dataclass(frozen=True)
class SessionLifetimes:
    """Seconds: ``idle`` without activity ends a session, ``absolute`` ends it whatever."""

    idle: int
    absolute: int


def start_session(
    sessions: SessionRepository,
    lifetimes: SessionLifetimes,
    now: int,
    user: User,
    amr: tuple[str, ...],
    current_cookie: str | None = None,
) -> str:
    """The session of a person who has just authenticated with the methods ``amr``
    (RFC 8176); its acr is the class they reach. Returns its new cookie value.

    One browser has one SSO session. When it already has a live one (``current_cookie``)
    and the same person signed in again (prompt=login, max_age), that session is renewed
    under a new cookie value, with a new auth_time and the same ``sid``, so that signing
    out still ends every refresh token tied to it. Another person's session is ended
    first: left alive, nothing could sign it out any more. The cookie value is new either
    way, so a value planted in the browser before the sign-in is worth nothing (session
    fixation)."""
    cookie_value = random_token()
    expires_at = now + lifetimes.absolute
    acr = achieved_acr(amr)
    if current_cookie and len(current_cookie) <= MAX_COOKIE_LENGTH:
        current = sha256_digest(current_cookie)
        new_hash = sha256_digest(cookie_value)
        if sessions.renew(current, new_hash, user.id, amr, acr, now, expires_at, lifetimes.idle):
            return cookie_value
        sessions.end(current, now)
    sessions.create(
        sha256_digest(cookie_value),
        SsoSession(
            sid=uuid.uuid4().hex,
            user_id=user.id,
            auth_time=now,
            amr=amr,
            acr=acr,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        ),
    )
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


def end_session(sessions: SessionRepository, now: int, cookie_value: str | None) -> None:
    if cookie_value:
        sessions.end(sha256_digest(cookie_value), now)


def end_session_by_sid(sessions: SessionRepository, now: int, sid: str) -> None:
    """Sign-out where the browser's cookie did not come along (a cross-site POST, whose
    SameSite=Lax cookie the browser withholds) but a verified id_token_hint names the
    session."""
    sessions.end_by_sid(sid, now)
