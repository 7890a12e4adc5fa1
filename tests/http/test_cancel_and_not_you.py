""" "Cancel" and "Not you?" on the login and consent pages: POST forms with CSRF. Cancel goes
back to the application with access_denied (RFC 6749 §4.1.2.1), only to the paused request's
validated redirect URI; "Not you?" signs the browser's session out, as a sign-out does, and
shows the login form again for the same request."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from gatehouse.storage.sql import tables as t
from gatehouse.web.app import create_app
from tests.conftest import ISSUER
from tests.support.cookies import SESSION_COOKIE
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    assert_error_page,
    assert_error_redirect,
    csrf_from,
    query_of,
    redeem,
    sign_in,
    start_authorize,
    submit_consent,
    submit_login,
)

STATE = "st-cancel"
BOB_PASSWORD = "bob's long password"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    make_user(runtime, "bob", BOB_PASSWORD)
    return make_client(runtime)


def login_location(http: TestClient, **overrides: Any) -> str:
    response, _ = start_authorize(http, state=STATE, **overrides)
    location = response.headers["location"]
    assert location.startswith("/login?interaction="), location
    return location


def consent_location(http: TestClient) -> str:
    location = submit_login(http, login_location(http)).headers["location"]
    assert location.startswith("/consent?interaction="), location
    return location


def press(http: TestClient, page_location: str, action: str, **override: str) -> Any:
    """Press the page's "Cancel" (action="cancel") or "Not you?" (action="not-you")."""
    page = http.get(page_location)
    assert page.status_code == 200, page.text
    assert f'action="/interaction/{action}"' in page.text
    data = {
        "csrf_token": csrf_from(page.text),
        "interaction": query_of(page_location)["interaction"],
    }
    data.update(override)
    return http.post(f"/interaction/{action}", data=data)


def live_sessions(runtime: Runtime) -> list[str]:
    with runtime.database.read() as conn:
        rows = conn.execute(
            sa.select(t.sso_sessions.c.user_id).where(t.sso_sessions.c.ended_at.is_(None))
        )
        return [r.user_id for r in rows]


# -- Cancel -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["login", "consent"])
def test_cancel_goes_back_to_the_application_with_access_denied(
    runtime: Runtime, http: TestClient, web: dict[str, Any], page: str
) -> None:
    location = login_location(http) if page == "login" else consent_location(http)
    response = press(http, location, "cancel")
    params = assert_error_redirect(response, "access_denied", state=STATE)
    assert "cancelled" in params["error_description"]
    [event] = runtime.store.audit.list(AuditQuery(types=("signin.cancelled",)))
    assert event.client_id == "web" and event.actor == "user"
    # The interaction is completed: the page cannot be used again, nor cancelled twice.
    again = press_again(http, location, "cancel")
    assert_error_page(again, "invalid_request")
    assert "expired or was already used" in again.text


def press_again(http: TestClient, location: str, action: str) -> Any:
    token = http.cookies["gh_csrf"]
    data = {"csrf_token": token, "interaction": query_of(location)["interaction"]}
    return http.post(f"/interaction/{action}", data=data)


@pytest.mark.parametrize("action", ["cancel", "not-you"])
@pytest.mark.parametrize("csrf", [None, "", "wrong-token-wrong-token-wrong"])
def test_cancel_and_not_you_need_the_csrf_token(
    runtime: Runtime, http: TestClient, web: dict[str, Any], action: str, csrf: str | None
) -> None:
    location = consent_location(http)
    data = {"interaction": query_of(location)["interaction"]}
    if csrf is not None:
        data["csrf_token"] = csrf
    response = http.post(f"/interaction/{action}", data=data)
    assert_error_page(response, "invalid_request", status=403)
    assert "This form has expired" in response.text
    assert live_sessions(runtime)  # nothing happened: still signed in,
    assert "code" in query_of(submit_consent(http, location).headers["location"])  # page usable


@pytest.mark.parametrize("action", ["cancel", "not-you"])
@pytest.mark.parametrize("interaction", [None, "unknown", "x" * 500])
def test_without_a_live_interaction_they_stay_at_gatehouse(
    http: TestClient, web: dict[str, Any], action: str, interaction: str | None
) -> None:
    """Never an open redirect: without a paused request there is no validated redirect URI,
    so the answer is an error page."""
    login_location(http)  # sets the CSRF cookie
    data = {"csrf_token": http.cookies["gh_csrf"]}
    if interaction is not None:
        data["interaction"] = interaction
    response = http.post(f"/interaction/{action}", data=data)
    assert_error_page(response, "invalid_request")


def test_cancel_from_another_browser_is_refused(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    location = login_location(http)
    with TestClient(create_app(runtime), base_url=ISSUER, follow_redirects=False) as other:
        start_authorize(other)  # a sign-in, and a CSRF cookie, of its own
        data = {
            "csrf_token": other.cookies["gh_csrf"],
            "interaction": query_of(location)["interaction"],
        }
        response = other.post("/interaction/cancel", data=data)
    assert_error_page(response, "invalid_request")
    assert "another browser" in response.text


def test_cancel_needs_a_form_body(http: TestClient, web: dict[str, Any]) -> None:
    login_location(http)
    response = http.post(
        "/interaction/cancel", content=b"{}", headers={"content-type": "application/json"}
    )
    assert_error_page(response, "invalid_request")


# -- Not you? ---------------------------------------------------------------------------------


def test_not_you_is_offered_only_to_a_signed_in_browser(
    http: TestClient, web: dict[str, Any]
) -> None:
    page = http.get(login_location(http))
    assert "Not you?" not in page.text
    sign_in(http)
    page = http.get(login_location(http, prompt="login"))
    assert "You are signed in as <strong>alice</strong>" in page.text
    assert "Not you?" in page.text


@pytest.mark.parametrize("page", ["login", "consent"])
def test_not_you_signs_out_and_lets_another_person_sign_in(
    runtime: Runtime, http: TestClient, web: dict[str, Any], page: str
) -> None:
    if page == "login":
        sign_in(http)
        location = login_location(http, prompt="login")
    else:
        location = consent_location(http)
    assert live_sessions(runtime)
    response = press(http, location, "not-you")
    assert response.status_code == 303
    interaction = query_of(location)["interaction"]
    location = response.headers["location"]
    assert location == f"/login?interaction={interaction}"  # the same paused request
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)
    )
    assert "max-age=0" in cookie.lower()
    assert live_sessions(runtime) == []
    assert "Not you?" not in http.get(location).text
    consent = submit_login(http, location, "bob", BOB_PASSWORD).headers["location"]
    assert "Signed in as <strong>bob</strong>" in http.get(consent).text
    final = submit_consent(http, consent).headers["location"]
    assert_state = query_of(final)
    assert "code" in assert_state and assert_state["state"] == STATE


def test_not_you_ends_the_sessions_refresh_tokens_as_a_sign_out_does(
    http: TestClient, web: dict[str, Any]
) -> None:
    result = sign_in(http, scope="openid profile")  # a refresh token bound to the session
    tokens = redeem(http, result.params["code"], result.verifier, web).json()
    press(http, login_location(http, prompt="login"), "not-you")
    refreshed = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(web["client_id"], web["client_secret"]),
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
