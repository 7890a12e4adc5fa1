"""accounts.sessions: SSO sessions behind a random cookie value, only its hash stored."""

from __future__ import annotations

import pytest

from gatehouse.accounts.sessions import (
    SessionLifetimes,
    active_session,
    browser_session,
    sign_out,
    start_session,
)
from gatehouse.crypto import sha256_digest
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SessionSelector, User
from tests.support.factories import make_user

NOW = 1_700_000_000
LIFETIMES = SessionLifetimes(idle=1800, absolute=36000)


def _user(runtime: Runtime, username: str = "alice") -> User:
    user = runtime.store.users.get(make_user(runtime, username)["id"])
    assert user is not None
    return user


def _active(runtime: Runtime, cookie: str | None, now: int = NOW) -> User | None:
    found = active_session(runtime.store.sessions, runtime.store.users, LIFETIMES, now, cookie)
    return found[1] if found is not None else None


def test_a_new_session_is_found_by_its_cookie_only(runtime: Runtime) -> None:
    alice = _user(runtime)
    cookie = start_session(runtime.store.sessions, LIFETIMES, NOW, alice, ("pwd",))
    found = active_session(runtime.store.sessions, runtime.store.users, LIFETIMES, NOW, cookie)
    assert found is not None
    session, user = found
    assert (user.id, session.auth_time, session.amr) == (alice.id, NOW, ("pwd",))
    assert session.expires_at == NOW + LIFETIMES.absolute
    # Only the hash is stored: the hash itself is no cookie.
    assert _active(runtime, sha256_digest(cookie)) is None


@pytest.mark.parametrize(
    ("seconds_later", "alive"),
    [(LIFETIMES.idle - 1, True), (LIFETIMES.idle, False)],
)
def test_an_idle_session_ends(runtime: Runtime, seconds_later: int, alive: bool) -> None:
    cookie = start_session(runtime.store.sessions, LIFETIMES, NOW, _user(runtime), ("pwd",))
    assert (_active(runtime, cookie, NOW + seconds_later) is not None) is alive


def test_using_a_session_extends_its_idle_lifetime(runtime: Runtime) -> None:
    cookie = start_session(runtime.store.sessions, LIFETIMES, NOW, _user(runtime), ("pwd",))
    assert _active(runtime, cookie, NOW + LIFETIMES.idle - 1) is not None
    assert _active(runtime, cookie, NOW + 2 * LIFETIMES.idle - 2) is not None


def test_signing_in_again_renews_the_session_under_a_new_cookie(runtime: Runtime) -> None:
    """Same person: same sid (sign-out still ends its refresh tokens), new auth_time and a new
    cookie value; the old value no longer works (session fixation)."""
    alice = _user(runtime)
    sessions = runtime.store.sessions
    first = start_session(sessions, LIFETIMES, NOW, alice, ("pwd",))
    found = active_session(sessions, runtime.store.users, LIFETIMES, NOW, first)
    assert found is not None
    second = start_session(sessions, LIFETIMES, NOW + 60, alice, ("pwd",), first)
    renewed = active_session(sessions, runtime.store.users, LIFETIMES, NOW + 60, second)
    assert renewed is not None
    assert second != first and _active(runtime, first, NOW + 60) is None
    assert (renewed[0].sid, renewed[0].auth_time) == (found[0].sid, NOW + 60)


def test_another_persons_sign_in_ends_the_session_in_that_browser(runtime: Runtime) -> None:
    sessions = runtime.store.sessions
    alices = start_session(sessions, LIFETIMES, NOW, _user(runtime), ("pwd",))
    bobs = start_session(sessions, LIFETIMES, NOW, _user(runtime, "bob"), ("pwd",), alices)
    assert _active(runtime, alices) is None
    bob = _active(runtime, bobs)
    assert bob is not None and bob.username == "bob"


@pytest.mark.parametrize("cookie", [None, "", "unknown", "x" * 129])
def test_no_session_behind_a_missing_or_foreign_cookie(
    runtime: Runtime, cookie: str | None
) -> None:
    assert _active(runtime, cookie) is None


def test_ending_a_session_by_cookie_or_by_sid(runtime: Runtime) -> None:
    sessions = runtime.store.sessions
    by_cookie = start_session(sessions, LIFETIMES, NOW, _user(runtime), ("pwd",))
    which = browser_session(by_cookie)
    assert which is not None
    sign_out(sessions, which, NOW, "logout")
    assert _active(runtime, by_cookie) is None
    by_sid = start_session(sessions, LIFETIMES, NOW, _user(runtime, "bob"), ("pwd",))
    found = active_session(sessions, runtime.store.users, LIFETIMES, NOW, by_sid)
    assert found is not None
    sign_out(sessions, SessionSelector(sid=found[0].sid), NOW, "logout")
    assert _active(runtime, by_sid) is None
