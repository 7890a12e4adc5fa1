"""SSO sessions: a random id in an HttpOnly cookie, only its hash stored."""

from __future__ import annotations

import uuid

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.protocol.authorize import BrowserState
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import SsoSession, User


def start_session(provider: Provider, user: User, amr: tuple[str, ...]) -> str:
    """Create a session for a person who has just authenticated; returns the cookie value."""
    now = provider.clock()
    cookie_value = random_token()
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
            expires_at=now + provider.config.session_absolute_lifetime,
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
