"""What the account page's unit tests share: alice signed in in this browser (the
``holder`` the web adapter builds from the request), her other browsers, and the audit
events her changes record."""

from __future__ import annotations

import pytest

from gatehouse.accounts.sessions import start_session
from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidGrant
from gatehouse.protocol.account.holder import AccountHolder
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token import token_endpoint
from gatehouse.storage.records import AuditEvent, AuditQuery, SsoSession, User
from tests.unit.protocol.conftest import Registered

ADDRESS = "203.0.113.9"


def browser_session(
    provider: Provider, user: User, amr: tuple[str, ...] = ("pwd",), *, remember_me: bool = False
) -> tuple[str, SsoSession]:
    """A sign-in of ``user`` in some browser: its cookie value and session."""
    lifetimes = provider.config.lifetimes_for(remember_me)
    cookie = start_session(
        provider.sessions, lifetimes, provider.clock(), user, amr, device="Firefox"
    )
    session = live_session(provider, cookie)
    assert session is not None
    return cookie, session


def live_session(provider: Provider, cookie: str) -> SsoSession | None:
    return provider.sessions.get_active(
        sha256_digest(cookie), provider.clock(), provider.config.session_idle_lifetime
    )


@pytest.fixture
def holder(provider: Provider, alice: User) -> AccountHolder:
    """Alice, signed in in this browser just now."""
    cookie, session = browser_session(provider, alice)
    return AccountHolder(alice, session, cookie, ADDRESS)


def events(provider: Provider, event_type: str) -> list[AuditEvent]:
    """The events of ``event_type`` (or of a prefix ending at a dot), oldest first."""
    return provider.audit.list(AuditQuery(types=(event_type,)))[::-1]


def refresh_works(provider: Provider, client: Registered, refresh_token: str) -> bool:
    """Whether the client can still use ``refresh_token`` at the token endpoint."""
    params = Parameters({"grant_type": "refresh_token", "refresh_token": refresh_token})
    try:
        token_endpoint(provider, params, client.basic)
    except InvalidGrant:
        return False
    return True
