"""A browser with a live SSO session, for the unit tests of the authorization decision."""

from __future__ import annotations

from gatehouse.accounts.sessions import start_session
from gatehouse.protocol.authorization import BrowserState
from gatehouse.protocol.interaction import browser_state
from gatehouse.runtime import Runtime

BINDING = "binding-of-this-browser"


def sign_in_cookie(runtime: Runtime, username: str) -> str:
    """Start an SSO session for ``username``; its cookie value."""
    provider = runtime.provider
    user = provider.users.find_by_login(username)
    assert user is not None, username
    lifetimes = provider.config.session_lifetimes
    return start_session(provider.sessions, lifetimes, provider.clock(), user, ("pwd",))


def signed_in(runtime: Runtime, username: str, binding: str = BINDING) -> BrowserState:
    """A browser in which ``username`` has just signed in."""
    state = browser_state(runtime.provider, sign_in_cookie(runtime, username), binding)
    assert state.user is not None
    return state
