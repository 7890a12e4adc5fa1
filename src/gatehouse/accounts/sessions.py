"""SSO sessions: a random id in an HttpOnly cookie, only its hash stored."""

from __future__ import annotations

import uuid

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.protocol.authorize import BrowserState
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import SsoSession, User


def start_session(
    provider: Provider, user: User, amr: tuple[str, ...], current_cookie: str | None = None
) -> str:
    """The session of a person who has just authenticated; returns its new cookie value.

    One browser has one SSO session. When it already has a live one (``current_cookie``)
    and the same person signed in again (prompt=login, max_age), that session is renewed
    under a new cookie value, with a new auth_time and the same ``sid``, so that signing
    out still ends every refresh token tied to it. Another person's session is ended
    first: left alive, nothing could sign it out any more. The cookie value is new either
    way, so a value planted in the browser before the sign-in is worth nothing (session
    fixation)."""
    now = provider.clock()
    cookie_value = random_token()
    expires_at = now + provider.config.session_absolute_lifetime
    if current_cookie and len(current_cookie) <= 128:
        current = sha256_digest(current_cookie)
        if provider.sessions.renew(
            current,
            sha256_digest(cookie_value),
            user.id,
            amr,
            now,
            expires_at,
            provider.config.session_idle_lifetime,
        ):
            return cookie_value
        provider.sessions.end(current, now)
    provider.sessions.create(
        sha256_digest(cookie_value),
        SsoSession(
            sid=uuid.uuid4().hex,
            user_id=user.id,
            auth_time=now,
            amr=amr,
            acr=None,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        ),
    )
    return cookie_value


def browser_state(
    provider: Provider, cookie_value: str | None, binding: str | None = None
) -> BrowserState:
    """The browser's live session and user, or an empty state. Using a session counts as
    activity and extends its idle lifetime (never its absolute one)."""
    if not cookie_value or len(cookie_value) > 128:
        return BrowserState(session=None, user=None, binding=binding)
    id_hash = sha256_digest(cookie_value)
    now = provider.clock()
    session = provider.sessions.get_active(id_hash, now, provider.config.session_idle_lifetime)
    if session is None:
        return BrowserState(session=None, user=None, binding=binding)
    user = provider.users.get(session.user_id)
    if user is None or user.disabled:
        return BrowserState(session=None, user=None, binding=binding)
    if now - session.last_seen_at >= 60:  # at most one write a minute per session
        provider.sessions.touch(id_hash, now)
    return BrowserState(session=session, user=user, binding=binding)


def end_session(provider: Provider, cookie_value: str | None) -> None:
    if cookie_value:
        provider.sessions.end(sha256_digest(cookie_value), provider.clock())


def end_session_by_sid(provider: Provider, sid: str) -> None:
    """Sign-out where the browser's cookie did not come along (a cross-site POST, whose
    SameSite=Lax cookie the browser withholds) but a verified id_token_hint names the
    session."""
    provider.sessions.end_by_sid(sid, provider.clock())
