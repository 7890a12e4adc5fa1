"""The account page: signing in to it through gatehouse's own /authorize, the profile, the
password, the sessions, and the recent-sign-in rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.protocol.account.client import ACCOUNT_CLIENT_ID
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from gatehouse.web.app import create_app
from tests.conftest import ISSUER
from tests.support.account import follow_account_sign_in, open_account, post_account
from tests.support.cookies import SESSION_COOKIE
from tests.support.factories import PASSWORD, make_client, make_user
from tests.support.flow import get_tokens, install_clock, query_of

NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def alice(runtime: Runtime) -> dict[str, Any]:
    return make_user(runtime)


@pytest.fixture
def runtime_http_pair(
    runtime: Runtime, http: TestClient
) -> Iterator[tuple[TestClient, TestClient]]:
    """Two browsers (cookie jars) on one gatehouse."""
    with TestClient(create_app(runtime), base_url=ISSUER, follow_redirects=False) as other:
        yield http, other


def _events(runtime: Runtime, type_: str) -> list[Any]:
    return runtime.store.audit.list(AuditQuery(types=(type_,)))


def _refresh(http: TestClient, client: dict[str, Any], token: str) -> int:
    response = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(client["client_id"], client["client_secret"]),
    )
    return response.status_code


# -- Signing in to the account page -------------------------------------------------------------


def test_without_a_session_the_page_signs_in_through_authorize_as_its_own_client(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    first = http.get("/account")
    assert first.status_code == 303
    location = first.headers["location"]
    params = query_of(location)
    assert location.startswith("/authorize?")
    assert params["client_id"] == ACCOUNT_CLIENT_ID
    assert params["redirect_uri"] == f"{ISSUER}/account/callback"
    assert params["code_challenge_method"] == "S256"
    assert "max_age" not in params
    page = follow_account_sign_in(http, first)
    assert page.status_code == 200
    assert "Signed in as <strong>alice</strong>" in page.text
    # The built-in client is registered, first party (no consent page was shown).
    client = runtime.store.clients.get(ACCOUNT_CLIENT_ID)
    assert client is not None and client.first_party and client.is_public


def test_the_page_is_not_cached_and_carries_the_security_headers(
    http: TestClient, alice: dict[str, Any]
) -> None:
    page = open_account(http)
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_a_browser_signed_in_to_an_application_sees_the_page_at_once(
    http: TestClient, alice: dict[str, Any], runtime: Runtime
) -> None:
    get_tokens(http, make_client(runtime))
    page = http.get("/account")
    assert page.status_code == 200 and "Signed in as <strong>alice</strong>" in page.text


def test_a_callback_without_this_browsers_sign_in_is_refused(
    http: TestClient, alice: dict[str, Any]
) -> None:
    response = http.get("/account/callback", params={"code": "forged", "state": "forged"})
    assert response.status_code == 400
    assert "<code>invalid_request</code>" in response.text


def test_a_cancelled_sign_in_says_so_and_offers_to_sign_in(
    http: TestClient, alice: dict[str, Any]
) -> None:
    start = http.get("/account")
    state = query_of(start.headers["location"])["state"]
    response = http.get(
        "/account/callback", params={"error": "access_denied", "state": state, "iss": ISSUER}
    )
    assert response.status_code == 403
    assert "You did not sign in" in response.text
    assert 'href="/account"' in response.text


def test_operators_cannot_change_or_delete_the_built_in_client(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    from gatehouse.admin import clients as client_admin
    from gatehouse.admin.errors import AdminError

    open_account(http)
    with pytest.raises(AdminError, match="built in"):
        client_admin.delete_client(runtime, ACCOUNT_CLIENT_ID)
    with pytest.raises(AdminError, match="built in"):
        client_admin.update_client(
            runtime, client_admin.ClientSpec(client_id=ACCOUNT_CLIENT_ID, name="mine")
        )
    listed = {c["client_id"]: c for c in client_admin.list_clients(runtime)}
    assert listed[ACCOUNT_CLIENT_ID]["built_in"] is True


# -- Profile ------------------------------------------------------------------------------------


def test_the_person_edits_their_profile_and_email_stays_read_only(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    page = open_account(http)
    response = post_account(
        http,
        "/account/profile",
        page,
        name="Alice Liddell",
        given_name="Alice",
        family_name="",
        phone_number="+44 20 7946 0000",
        email="mallory@example.com",
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account?done=profile#profile"
    user = runtime.store.users.get(alice["id"])
    assert user is not None
    assert (user.name, user.given_name, user.family_name) == ("Alice Liddell", "Alice", None)
    assert user.phone_number == "+44 20 7946 0000"
    assert user.email == "alice@example.com"
    shown = http.get(response.headers["location"])
    assert "Your profile was saved." in shown.text
    [event] = _events(runtime, "account.profile_updated")
    assert event.actor == "user" and event.user_id == alice["id"]
    assert event.details == {"fields": ["name", "given_name", "phone_number"]}


def test_a_profile_value_breaking_a_rule_is_refused_with_the_reason(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    page = open_account(http)
    response = post_account(http, "/account/profile", page, name="x" * 300)
    assert response.status_code == 400
    assert 'role="alert"' in response.text and "name is too long" in response.text
    user = runtime.store.users.get(alice["id"])
    assert user is not None and user.name == "Alice"
    assert _events(runtime, "account.profile_updated") == []


def test_the_person_keeps_their_postal_address(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    page = open_account(http)
    address = {
        "street_address": "Flat 2\r\n1 Main St",
        "postal_code": "12345",
        "locality": "Springfield",
        "region": "",
        "country": "US",
    }
    response = post_account(http, "/account/profile", page, name="Alice", **address)
    assert response.status_code == 303
    user = runtime.store.users.get(alice["id"])
    assert user is not None
    assert user.address == {
        "street_address": "Flat 2\n1 Main St",
        "postal_code": "12345",
        "locality": "Springfield",
        "country": "US",
    }
    [event] = _events(runtime, "account.profile_updated")
    assert event.details == {"fields": ["address"]}
    shown = http.get("/account").text
    assert ">Flat 2\n1 Main St</textarea>" in shown and 'value="Springfield"' in shown


def test_an_address_part_breaking_a_rule_is_refused_and_marked(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    page = open_account(http)
    response = post_account(
        http, "/account/profile", page, name="Alice", locality="Spring\u202efield"
    )
    assert response.status_code == 400
    assert "the postal address cannot contain invisible or control characters" in response.text
    assert 'id="locality" name="locality"' in response.text
    assert 'aria-invalid="true"' in response.text
    user = runtime.store.users.get(alice["id"])
    assert user is not None and user.address is None


# -- CSRF -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/account/profile",
        "/account/password",
        "/account/sessions/end",
        "/account/sessions/end-others",
        "/account/applications/revoke",
        "/account/offline/revoke",
    ],
)
def test_every_form_refuses_a_post_without_this_browsers_csrf_token(
    runtime: Runtime, http: TestClient, alice: dict[str, Any], path: str
) -> None:
    open_account(http)
    missing = http.post(path, data={"name": "Mallory"})
    forged = http.post(path, data={"csrf_token": "f" * 43, "name": "Mallory"})
    for response in (missing, forged):
        assert response.status_code == 403
        assert "This form has expired" in response.text
    user = runtime.store.users.get(alice["id"])
    assert user is not None and user.name == "Alice"


def test_a_form_posted_without_a_session_goes_to_sign_in(
    http: TestClient, alice: dict[str, Any]
) -> None:
    page = http.get("/account")
    assert page.status_code == 303
    http.get(page.headers["location"])  # the sign-in sets the browser's CSRF cookie
    token = http.cookies.get("gh_csrf")
    assert token
    response = http.post("/account/profile", data={"csrf_token": token, "name": "x"})
    assert response.status_code == 303 and response.headers["location"] == "/account"


# -- Password -----------------------------------------------------------------------------------


def test_a_password_change_ends_other_sessions_and_tokens_and_keeps_this_one(
    runtime: Runtime, runtime_http_pair: tuple[TestClient, TestClient], alice: dict[str, Any]
) -> None:
    http, other = runtime_http_pair
    client = make_client(runtime)
    elsewhere = get_tokens(other, client, scope="openid offline_access")
    here = get_tokens(http, client)
    page = open_account(http)
    old_cookie = http.cookies.get(SESSION_COOKIE)
    response = post_account(
        http,
        "/account/password",
        page,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/account?done=password#password"
    new_cookie = http.cookies.get(SESSION_COOKIE)
    assert new_cookie and new_cookie != old_cookie  # renewed
    # This browser stays signed in; the other one is signed out.
    assert http.get("/account").status_code == 200
    assert other.get("/account").status_code == 303
    # Every refresh token ends: the other browser's offline one and this browser's too.
    assert _refresh(other, client, elsewhere["refresh_token"]) == 400
    assert _refresh(http, client, here["refresh_token"]) == 400
    # The new password signs in; the old one does not.
    user = runtime.store.users.get(alice["id"])
    assert user is not None and runtime.passwords.verify(user.password_hash, NEW_PASSWORD)
    [event] = _events(runtime, "account.password_changed")
    assert event.actor == "user" and event.user_id == alice["id"]


@pytest.mark.parametrize(
    ("current", "new", "confirmation", "message"),
    [
        ("wrong password", NEW_PASSWORD, NEW_PASSWORD, "current password is not correct"),
        (PASSWORD, NEW_PASSWORD, "something else", "confirmation differ"),
        (PASSWORD, "short", "short", "at least 8 characters"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(
    runtime: Runtime,
    http: TestClient,
    alice: dict[str, Any],
    current: str,
    new: str,
    confirmation: str,
    message: str,
) -> None:
    page = open_account(http)
    response = post_account(
        http,
        "/account/password",
        page,
        current_password=current,
        new_password=new,
        confirm_password=confirmation,
    )
    assert response.status_code == 400
    assert message in response.text and 'role="alert"' in response.text
    user = runtime.store.users.get(alice["id"])
    assert user is not None and runtime.passwords.verify(user.password_hash, PASSWORD)
    assert _events(runtime, "account.password_changed") == []


def test_a_password_change_on_an_old_sign_in_asks_for_a_new_one_first(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    page = open_account(http)
    clock.advance(6 * 60)  # past the default 5-minute window, within the idle lifetime
    response = post_account(
        http,
        "/account/password",
        page,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert response.status_code == 303
    params = query_of(response.headers["location"])
    assert params["client_id"] == ACCOUNT_CLIENT_ID
    assert params["max_age"] == "0" and params["login_hint"] == "alice"
    user = runtime.store.users.get(alice["id"])
    assert user is not None and runtime.passwords.verify(user.password_hash, PASSWORD)
    # Signing in again (the login page is shown despite the live session) makes it recent.
    login = http.get(response.headers["location"])
    assert login.headers["location"].startswith("/login")
    back = follow_account_sign_in(http, login)
    assert "You signed in again" in back.text
    changed = post_account(
        http,
        "/account/password",
        back,
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert changed.status_code == 303 and "done=password" in changed.headers["location"]


# -- Sessions -----------------------------------------------------------------------------------


def test_the_person_signs_out_another_session_and_its_refresh_tokens_die(
    runtime: Runtime, runtime_http_pair: tuple[TestClient, TestClient], alice: dict[str, Any]
) -> None:
    http, other = runtime_http_pair
    client = make_client(runtime)
    tokens = get_tokens(other, client)
    page = open_account(http)
    sessions = runtime.store.sessions.list_for_user(alice["id"], runtime.provider.clock(), 1800)
    assert len(sessions) == 2
    current_sid = _current_sid(runtime, http)
    other_sid = next(s.sid for s in sessions if s.sid != current_sid)
    assert "Another browser" in page.text and "This browser" in page.text
    response = post_account(http, "/account/sessions/end", page, sid=other_sid)
    assert response.status_code == 303
    assert response.headers["location"] == "/account?done=session#sessions"
    assert _refresh(other, client, tokens["refresh_token"]) == 400
    assert other.get("/account").status_code == 303  # signed out there
    assert http.get("/account").status_code == 200  # not here
    [event] = _events(runtime, "session.ended")
    assert event.actor == "user" and event.user_id == alice["id"]
    assert event.details["sid"] == other_sid and event.details["reason"] == "account_sign_out"


def _current_sid(runtime: Runtime, http: TestClient) -> str:
    from gatehouse.protocol.interaction import browser_state

    state = browser_state(runtime.provider, http.cookies.get(SESSION_COOKIE))
    assert state.session is not None
    return state.session.sid


def test_someone_elses_session_cannot_be_signed_out(
    runtime: Runtime, runtime_http_pair: tuple[TestClient, TestClient], alice: dict[str, Any]
) -> None:
    http, other = runtime_http_pair
    make_user(runtime, "bob")
    open_account(other, "bob")
    bobs_sid = _current_sid(runtime, other)
    page = open_account(http)
    response = post_account(http, "/account/sessions/end", page, sid=bobs_sid)
    assert response.status_code == 404
    assert "not one of yours" in response.text
    assert other.get("/account").status_code == 200  # Bob is still signed in


def test_signing_out_the_current_session_signs_out_here(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    page = open_account(http)
    response = post_account(http, "/account/sessions/end", page, sid=_current_sid(runtime, http))
    assert response.status_code == 200
    assert "You are signed out" in response.text
    assert http.get("/account").status_code == 303


def test_signing_out_every_other_session_needs_a_recent_sign_in(
    runtime: Runtime, runtime_http_pair: tuple[TestClient, TestClient], alice: dict[str, Any]
) -> None:
    http, other = runtime_http_pair
    clock = install_clock(runtime)
    open_account(other)
    page = open_account(http)
    clock.advance(10 * 60)
    stale = post_account(http, "/account/sessions/end-others", page)
    assert stale.status_code == 303 and query_of(stale.headers["location"])["max_age"] == "0"
    assert other.get("/account").status_code == 200
    back = follow_account_sign_in(http, http.get(stale.headers["location"]))
    response = post_account(http, "/account/sessions/end-others", back)
    assert response.headers["location"] == "/account?done=others#sessions"
    assert other.get("/account").status_code == 303
    assert http.get("/account").status_code == 200
