"""The SSO session cookie: its attributes, and the idle and absolute timeouts that end SSO."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from gatehouse.admin.users import set_disabled, set_password
from gatehouse.crypto import sha256_digest
from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from tests.support.cookies import CSRF_COOKIE, SESSION_COOKIE
from tests.support.factories import make_client, make_user
from tests.support.flow import install_clock, query_of, sign_in, start_authorize, submit_login


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


def _cookie_header(response: Any, name: str) -> str:
    return next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{name}="))


def _has_sso(http: TestClient) -> bool:
    response, _ = start_authorize(http)
    location = response.headers["location"]
    if location.startswith("/login"):
        return False
    assert query_of(location)["code"], location
    return True


def test_session_cookie_is_httponly_lax_and_not_secure_on_http(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    response, _ = start_authorize(http)
    after = submit_login(http, response.headers["location"])
    header = _cookie_header(after, SESSION_COOKIE)
    attributes = [a.strip().lower() for a in header.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes
    assert "path=/" in attributes
    # Without "Remember me", a browser-session cookie: it ends with the browser.
    assert not any(a.startswith(("max-age", "expires")) for a in attributes)
    value = header.split(";")[0].split("=", 1)[1]
    assert len(value) >= 40  # 256 random bits


def test_csrf_cookie_is_httponly_and_lax(http: TestClient, web: dict[str, Any]) -> None:
    response, _ = start_authorize(http)  # the first response sets the per-browser cookie
    attributes = [a.strip().lower() for a in _cookie_header(response, CSRF_COOKIE).split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes and "secure" not in attributes


def test_session_cookie_value_is_not_stored(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http)
    value = http.cookies[SESSION_COOKIE]
    with runtime.database.read() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(t.sso_sessions)).mappings()]
    assert [r["id_hash"] for r in rows] == [sha256_digest(value)]
    assert value not in repr(rows)


def test_idle_timeout_ends_sso(runtime: Runtime, http: TestClient, web: dict[str, Any]) -> None:
    clock = install_clock(runtime)
    idle = runtime.provider.config.session_idle_lifetime
    sign_in(http)
    clock.advance(idle - 60)
    assert _has_sso(http)  # activity, which extends the idle window
    clock.advance(idle - 60)
    assert _has_sso(http)
    clock.advance(idle + 1)
    assert not _has_sso(http)


def test_idle_timeout_without_activity(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    sign_in(http)
    clock.advance(runtime.provider.config.session_idle_lifetime + 1)
    assert not _has_sso(http)


def test_absolute_timeout_ends_sso_despite_activity(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    config = runtime.provider.config
    sign_in(http)
    start = clock.now
    step = config.session_idle_lifetime // 2
    while clock.now + step < start + config.session_absolute_lifetime:
        clock.advance(step)
        assert _has_sso(http), clock.now - start
    clock.now = start + config.session_absolute_lifetime
    assert not _has_sso(http)


def test_prompt_none_after_the_session_expired_is_login_required(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    sign_in(http)
    clock.advance(runtime.provider.config.session_idle_lifetime + 1)
    response, _ = start_authorize(http, prompt="none")
    assert query_of(response.headers["location"])["error"] == "login_required"


def test_disabling_the_user_ends_sso(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http)
    set_disabled(runtime, "alice", True)
    assert not _has_sso(http)


def test_changing_the_password_ends_sso(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http)
    set_password(runtime, "alice", "a brand new password")
    assert not _has_sso(http)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("garbage", id="short"),
        pytest.param("x" * 500, id="long"),
        pytest.param("%00%FF", id="encoded-bytes"),
        pytest.param('"quoted"', id="quoted"),
    ],
)
def test_a_forged_session_cookie_means_no_session(
    http: TestClient, web: dict[str, Any], value: str
) -> None:
    http.cookies.set(SESSION_COOKIE, value)
    assert not _has_sso(http)
