""" "Remember me" on the login page: a persistent cookie and the longer lifetimes; without it
a cookie that ends with the browser. Each session keeps the lifetimes it started with."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from tests.support.cookies import SESSION_COOKIE
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    csrf_from,
    install_clock,
    query_of,
    start_authorize,
    submit_login,
)

DAY = 86400
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


def _sign_in(http: TestClient, *, remember_me: bool) -> Any:
    response, _ = start_authorize(http)
    return submit_login(http, response.headers["location"], remember_me=remember_me)


def _cookie_attributes(response: Any) -> list[str]:
    header = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")
    )
    return [a.strip().lower() for a in header.split(";")]


def _session_row(runtime: Runtime) -> Any:
    with runtime.database.read() as conn:
        return conn.execute(sa.select(t.sso_sessions)).mappings().one()


def _has_sso(http: TestClient) -> bool:
    """Whether the browser is still signed in: a new request skips the login page."""
    response, _ = start_authorize(http)
    return not response.headers["location"].startswith("/login")


def test_remember_me_makes_a_persistent_cookie_and_a_longer_session(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    http.headers["user-agent"] = BROWSER
    response = _sign_in(http, remember_me=True)
    assert f"max-age={30 * DAY}" in _cookie_attributes(response)
    row = _session_row(runtime)
    assert row["remember_me"]
    assert (row["idle_lifetime"], row["expires_at"]) == (14 * DAY, clock.now + 30 * DAY)
    assert (row["device"], row["created_at"], row["last_seen_at"]) == (
        BROWSER,
        clock.now,
        clock.now,
    )
    clock.advance(13 * DAY)  # far past the normal 30 minutes idle and 10 hours absolute
    assert _has_sso(http)
    clock.advance(14 * DAY)  # idle for 14 days since the last use
    assert not _has_sso(http)


def test_without_remember_me_the_cookie_ends_with_the_browser(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    response = _sign_in(http, remember_me=False)
    assert not any(a.startswith(("max-age", "expires")) for a in _cookie_attributes(response))
    row = _session_row(runtime)
    assert not row["remember_me"]
    assert (row["idle_lifetime"], row["expires_at"]) == (1800, clock.now + 36000)
    assert row["device"] == "testclient"
    clock.advance(1801)
    assert not _has_sso(http)


def test_a_live_session_keeps_the_lifetimes_it_started_with(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """Changing the settings applies to sessions started afterwards; it neither cuts short
    nor extends the ones people have now."""
    clock = install_clock(runtime)
    _sign_in(http, remember_me=False)
    provider = runtime.provider
    provider.config = replace(provider.config, session_idle_lifetime=60)
    clock.advance(600)
    assert _has_sso(http)  # still the 30 minutes it started with
    provider.config = replace(provider.config, session_idle_lifetime=7 * DAY)
    clock.advance(1801)
    assert not _has_sso(http)


def test_signing_in_again_takes_the_new_answer(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """prompt=login renews the session (same sid) with the lifetimes of the new sign-in."""
    _sign_in(http, remember_me=False)
    sid = _session_row(runtime)["sid"]
    response, _ = start_authorize(http, prompt="login")
    again = submit_login(http, response.headers["location"], remember_me=True)
    assert f"max-age={30 * DAY}" in _cookie_attributes(again)
    row = _session_row(runtime)
    assert (row["sid"], row["remember_me"], row["idle_lifetime"]) == (sid, True, 14 * DAY)


def test_a_failed_attempt_keeps_remember_me_ticked(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    response, _ = start_authorize(http)
    location = response.headers["location"]
    page = http.get(location)
    assert 'name="remember_me"' in page.text and "checked" not in page.text.split("remember_me")[1]
    failed = http.post(
        "/login",
        data={
            "csrf_token": csrf_from(page.text),
            "interaction": query_of(location)["interaction"],
            "login": "alice",
            "password": "wrong",
            "remember_me": "yes",
        },
    )
    assert failed.status_code == 200
    assert (
        'name="remember_me" type="checkbox" value="yes" aria-describedby="remember_me_hint" checked'
        in failed.text
    )


def test_a_long_user_agent_is_cut_and_control_characters_replaced(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    http.headers["user-agent"] = "Agent\x01/1.0 " + "x" * 5000
    _sign_in(http, remember_me=False)
    device = _session_row(runtime)["device"]
    assert device.startswith("Agent?/1.0 x") and len(device) == 256
