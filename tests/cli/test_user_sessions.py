"""`gatehouse user sessions USER`: a person's live SSO sessions, as JSON."""

from __future__ import annotations

import time

from gatehouse.accounts.sessions import browser_session, sign_out, start_session
from gatehouse.admin.users import find_user
from gatehouse.protocol.provider import ProviderConfig
from gatehouse.runtime import Runtime
from tests.cli.conftest import Gatehouse
from tests.support.factories import make_user

CONFIG = ProviderConfig(issuer="http://testserver")


def test_lists_live_sessions_most_recent_first(gh: Gatehouse, runtime: Runtime) -> None:
    make_user(runtime)
    make_user(runtime, "bob")
    alice = find_user(runtime, "alice")
    now = int(time.time())
    sessions = runtime.store.sessions
    start_session(sessions, CONFIG.lifetimes_for(False), now - 60, alice, ("pwd",), None, "Firefox")
    start_session(sessions, CONFIG.lifetimes_for(True), now - 10, alice, ("pwd",), None, "Chrome")
    ended = start_session(sessions, CONFIG.lifetimes_for(False), now, alice, ("pwd",))
    which = browser_session(ended)
    assert which is not None
    sign_out(sessions, which, now, "logout")
    listed = gh.ok("user", "sessions", "alice")
    assert [(s["device"], s["remember_me"]) for s in listed] == [
        ("Chrome", True),
        ("Firefox", False),
    ]
    chrome, firefox = listed
    assert set(chrome) == {
        "sid", "device", "remember_me", "created_at", "signed_in_at", "last_seen_at", "expires_at"
    }  # fmt: skip
    assert (chrome["created_at"], chrome["last_seen_at"]) == (now - 10, now - 10)
    assert chrome["expires_at"] == now - 10 + 14 * 86400  # idle before absolute (30 days)
    assert firefox["expires_at"] == now - 60 + 1800
    assert gh.ok("user", "sessions", "bob") == []


def test_an_unknown_user_is_a_one_line_error(gh: Gatehouse) -> None:
    assert "no user" in gh.fails("user", "sessions", "nobody")
