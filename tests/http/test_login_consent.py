"""The login and consent pages: credentials, CSRF, interactions that expire or are replayed,
scope descriptions, stored consent, deny, first-party clients."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin.clients import ClientSpec, delete_client, update_client
from gatehouse.admin.scopes import upsert_scope
from gatehouse.admin.users import set_disabled
from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.runtime import Runtime
from gatehouse.web.app import create_app
from tests.conftest import ISSUER
from tests.support.cookies import CSRF_COOKIE, SESSION_COOKIE
from tests.support.factories import PASSWORD, REDIRECT_URI, make_client, make_user
from tests.support.flow import (
    assert_error_page,
    assert_error_redirect,
    consent_form,
    csrf_from,
    install_clock,
    query_of,
    sign_in,
    start_authorize,
    submit_consent,
    submit_login,
)

STATE = "st-login"
WRONG_CREDENTIALS = "The username or password is not correct."


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    make_user(runtime, "bob", "bob's long password")
    return make_client(runtime)


def login_location(http: TestClient, **overrides: Any) -> str:
    response, _ = start_authorize(http, state=STATE, **overrides)
    location = response.headers["location"]
    assert location.startswith("/login?interaction="), location
    return location


def consent_location(http: TestClient, **overrides: Any) -> str:
    response = submit_login(http, login_location(http, **overrides))
    location = response.headers["location"]
    assert location.startswith("/consent?interaction="), location
    return location


def set_cookies(response: Any) -> list[str]:
    return list(response.headers.get_list("set-cookie"))


# -- Login ------------------------------------------------------------------------------------


def test_login_page_renders_a_form_with_csrf(http: TestClient, web: dict[str, Any]) -> None:
    page = http.get(login_location(http))
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert csrf_from(page.text)
    assert 'name="password" type="password"' in page.text
    # The per-browser cookie is set by the /authorize redirect already: it also binds the
    # interaction to this browser.
    assert http.cookies.get(CSRF_COOKIE) == csrf_from(page.text)


@pytest.mark.parametrize(
    ("login", "password", "user_setup"),
    [
        pytest.param("alice", "wrong password!", None, id="wrong-password"),
        pytest.param("mallory", PASSWORD, None, id="unknown-user"),
        pytest.param("alice", "", None, id="empty-password"),
        pytest.param("alice", "x" * 2000, None, id="huge-password"),
        pytest.param("alice", PASSWORD, "disable", id="disabled-user"),
    ],
)
def test_failed_login_shows_the_same_message_and_sets_no_session(
    runtime: Runtime,
    http: TestClient,
    web: dict[str, Any],
    login: str,
    password: str,
    user_setup: str | None,
) -> None:
    if user_setup == "disable":
        set_disabled(runtime, "alice", True)
    location = login_location(http)
    response = submit_login(http, location, login, password)
    assert response.status_code == 200
    assert WRONG_CREDENTIALS in response.text
    assert f'value="{login}"' in response.text  # the login is kept, the password is not
    assert password not in response.text or password == ""
    assert not any(c.startswith(f"{SESSION_COOKIE}=") for c in set_cookies(response))
    assert SESSION_COOKIE not in http.cookies
    # The page can be submitted again with the right password.
    if user_setup is None:
        ok = submit_login(http, location)
        assert ok.headers["location"].startswith("/consent?")


def test_login_by_email_is_case_insensitive(http: TestClient, web: dict[str, Any]) -> None:
    response = submit_login(http, login_location(http), " Alice@Example.COM ")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/consent?")


def test_login_sets_a_new_session_cookie_even_if_one_was_planted(
    http: TestClient, web: dict[str, Any]
) -> None:
    """Session fixation: the cookie after login is always fresh."""
    planted = "attacker-chosen-session-value-0123456789"
    http.cookies.set(SESSION_COOKIE, planted)
    response = submit_login(http, login_location(http))
    cookie = next(c for c in set_cookies(response) if c.startswith(f"{SESSION_COOKIE}="))
    assert planted not in cookie


@pytest.mark.parametrize(
    "csrf",
    [
        pytest.param(None, id="missing"),
        pytest.param("wrong-token-wrong-token-wrong", id="wrong"),
        pytest.param("", id="empty"),
    ],
)
def test_login_without_the_right_csrf_token_is_refused(
    http: TestClient, web: dict[str, Any], csrf: str | None
) -> None:
    location = login_location(http)
    http.get(location)
    data = {
        "interaction": query_of(location)["interaction"],
        "login": "alice",
        "password": PASSWORD,
    }
    if csrf is not None:
        data["csrf_token"] = csrf
    response = http.post("/login", data=data)
    assert_error_page(response, "invalid_request", status=403)
    assert "security token" in response.text
    assert SESSION_COOKIE not in http.cookies


def test_login_with_a_token_but_no_csrf_cookie_is_refused(
    http: TestClient, web: dict[str, Any]
) -> None:
    location = login_location(http)
    page = http.get(location)
    token = csrf_from(page.text)
    http.cookies.delete(CSRF_COOKIE)
    response = http.post(
        "/login",
        data={
            "csrf_token": token,
            "interaction": query_of(location)["interaction"],
            "login": "alice",
            "password": PASSWORD,
        },
    )
    assert_error_page(response, "invalid_request", status=403)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="no-interaction"),
        pytest.param("?interaction=", id="empty-interaction"),
        pytest.param("?interaction=unknown-interaction-id", id="unknown-interaction"),
        pytest.param("?interaction=" + "x" * 500, id="oversized-interaction"),
    ],
)
@pytest.mark.parametrize("page", ["/login", "/consent"])
def test_pages_without_a_live_interaction_show_an_error_page(
    http: TestClient, web: dict[str, Any], page: str, query: str
) -> None:
    response = http.get(page + query)
    assert_error_page(response, "invalid_request")
    assert "start again" in response.text


def test_expired_interaction_shows_an_error_page(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    location = login_location(http)
    page = http.get(location)
    clock.advance(runtime.provider.config.interaction_lifetime + 1)
    response = http.get(location)
    assert_error_page(response, "invalid_request")
    assert "expired" in response.text
    response = http.post(
        "/login",
        data={
            "csrf_token": csrf_from(page.text),
            "interaction": query_of(location)["interaction"],
            "login": "alice",
            "password": PASSWORD,
        },
    )
    assert_error_page(response, "invalid_request")
    assert SESSION_COOKIE not in http.cookies


def test_login_post_with_unknown_interaction_and_valid_csrf_shows_an_error_page(
    http: TestClient, web: dict[str, Any]
) -> None:
    page = http.get(login_location(http))
    response = http.post(
        "/login",
        data={
            "csrf_token": csrf_from(page.text),
            "interaction": "nope",
            "login": "alice",
            "password": PASSWORD,
        },
    )
    assert_error_page(response, "invalid_request")
    assert SESSION_COOKIE not in http.cookies


def test_completed_interaction_cannot_be_replayed(http: TestClient, web: dict[str, Any]) -> None:
    location = login_location(http)
    page = http.get(location)
    csrf = csrf_from(page.text)
    interaction = query_of(location)["interaction"]
    consent = submit_login(http, location).headers["location"]
    done = submit_consent(http, consent)
    assert query_of(done.headers["location"])["code"]

    again = http.post(
        "/login",
        data={
            "csrf_token": csrf,
            "interaction": interaction,
            "login": "alice",
            "password": PASSWORD,
        },
    )
    assert_error_page(again, "invalid_request")
    replay = http.post(
        "/consent", data={"csrf_token": csrf, "interaction": interaction, "decision": "allow"}
    )
    assert_error_page(replay, "invalid_request")
    assert SESSION_COOKIE not in {c.split("=")[0] for c in set_cookies(again)}


@pytest.mark.parametrize("page", ["login", "consent"])
def test_back_after_signing_in_returns_to_the_application(
    http: TestClient, web: dict[str, Any], page: str
) -> None:
    """The browser's Back button from the application lands on the finished login or consent
    page: it goes on to the client's redirect URI as repeating the authorization request
    would, with a new code, never to "this sign-in page has expired"."""
    login = login_location(http)
    consent = submit_login(http, login).headers["location"]
    first = query_of(submit_consent(http, consent).headers["location"])

    back = http.get(login if page == "login" else consent)

    assert back.status_code == 303
    assert back.headers["location"].startswith(REDIRECT_URI + "?")
    params = query_of(back.headers["location"])
    assert params["state"] == STATE and params["iss"] == ISSUER
    assert params["code"] != first["code"]


def test_back_after_the_session_ended_signs_in_again(http: TestClient, web: dict[str, Any]) -> None:
    login = login_location(http)
    submit_consent(http, submit_login(http, login).headers["location"])
    http.cookies.delete(SESSION_COOKIE)

    back = http.get(login)

    assert back.status_code == 303
    fresh = back.headers["location"]
    assert fresh.startswith("/login?interaction=") and fresh != login
    assert http.get(fresh).status_code == 200


def test_back_to_a_finished_sign_in_is_refused_in_another_browser(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    login = login_location(http)
    submit_consent(http, submit_login(http, login).headers["location"])
    with TestClient(create_app(runtime), base_url=ISSUER, follow_redirects=False) as other:
        other.cookies.set(SESSION_COOKIE, http.cookies[SESSION_COOKIE])
        response = other.get(login)
    assert_error_page(response, "invalid_request")
    assert "another browser" in response.text


def test_back_to_a_finished_sign_in_after_its_lifetime_has_expired(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    login = login_location(http)
    submit_consent(http, submit_login(http, login).headers["location"])
    clock.advance(runtime.provider.config.interaction_lifetime + 1)
    response = http.get(login)
    assert_error_page(response, "invalid_request")
    assert "expired" in response.text


def test_back_to_a_finished_sign_in_never_leads_to_an_unregistered_redirect_uri(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    login = login_location(http)
    submit_consent(http, submit_login(http, login).headers["location"])
    update_client(
        runtime, ClientSpec(client_id="web", redirect_uris=["https://app.example.com/new"])
    )
    response = http.get(login)
    assert_error_page(response, "invalid_request")
    assert "redirect URI was unregistered" in response.text


def test_login_post_with_another_content_type_shows_an_error_page(
    http: TestClient, web: dict[str, Any]
) -> None:
    response = http.post("/login", json={"login": "alice"})
    assert_error_page(response, "invalid_request")


# -- Consent ----------------------------------------------------------------------------------


def test_consent_page_lists_the_requested_scopes_with_descriptions(
    http: TestClient, web: dict[str, Any]
) -> None:
    page = http.get(consent_location(http, scope="openid profile email"))
    assert page.status_code == 200
    for scope in ("openid", "profile", "email"):
        assert f"<code>{scope}</code>" in page.text
        assert STANDARD_SCOPES[scope] in page.text
    assert "offline_access" not in page.text
    assert "alice" in page.text and "web" in page.text
    assert csrf_from(page.text)


def test_consent_page_shows_custom_scope_descriptions_escaped(
    runtime: Runtime, http: TestClient
) -> None:
    make_user(runtime)
    upsert_scope(runtime, "reports:read", "Read your <b>monthly</b> reports")
    make_client(runtime, scopes=["openid", "reports:read"])
    page = http.get(consent_location(http, scope="openid reports:read"))
    assert "<code>reports:read</code>" in page.text
    assert "Read your &lt;b&gt;monthly&lt;/b&gt; reports" in page.text


def test_consent_page_escapes_the_client_name(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    make_client(runtime, name="<script>alert('x')</script>")
    location = login_location(http)
    login_page = http.get(location)
    consent_page = http.get(submit_login(http, location).headers["location"])
    for page in (login_page, consent_page):
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text


def test_deny_redirects_access_denied_with_state_and_iss(
    http: TestClient, web: dict[str, Any]
) -> None:
    response = submit_consent(http, consent_location(http), "deny")
    params = assert_error_redirect(response, "access_denied", state=STATE)
    assert "declined" in params["error_description"]
    # Nothing was stored: a silent request still needs consent.
    silent, _ = start_authorize(http, prompt="none", state=STATE)
    assert_error_redirect(silent, "consent_required", state=STATE)


def test_deny_needs_the_csrf_token(http: TestClient, web: dict[str, Any]) -> None:
    location = consent_location(http)
    response = http.post(
        "/consent", data={"interaction": query_of(location)["interaction"], "decision": "deny"}
    )
    assert_error_page(response, "invalid_request", status=403)


@pytest.mark.parametrize("decision", [None, "maybe", "ALLOW"])
def test_consent_needs_a_known_decision(
    http: TestClient, web: dict[str, Any], decision: str | None
) -> None:
    location = consent_location(http)
    page = http.get(location)
    data = {"csrf_token": csrf_from(page.text), "interaction": query_of(location)["interaction"]}
    if decision is not None:
        data["decision"] = decision
    response = http.post("/consent", data=data)
    assert_error_page(response, "invalid_request")
    # Not "this page needs a sign-in request": the form's answer is what is wrong.
    assert "decision=allow or decision=deny" in response.text
    assert "needs a sign-in request" not in response.text
    silent, _ = start_authorize(http, prompt="none", state=STATE)
    assert_error_redirect(silent, "consent_required", state=STATE)


def test_consent_after_the_session_ended_asks_to_log_in_again(
    http: TestClient, web: dict[str, Any]
) -> None:
    location = consent_location(http)
    page = http.get(location)
    http.cookies.delete(SESSION_COOKIE)
    response = http.post(
        "/consent",
        data={
            "csrf_token": csrf_from(page.text),
            "interaction": query_of(location)["interaction"],
            "decision": "allow",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?interaction=")


def _next_step(http: TestClient, **overrides: Any) -> str:
    response, _ = start_authorize(http, **overrides)
    location = response.headers["location"]
    if location.startswith("/consent"):
        return "consent"
    if location.startswith("/login"):
        return "login"
    assert query_of(location)["code"]
    return "code"


def test_stored_consent_is_not_asked_again_for_the_same_or_a_smaller_set(
    http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http, scope="openid profile email")
    assert _next_step(http, scope="openid profile email") == "code"
    assert _next_step(http, scope="openid email") == "code"
    assert _next_step(http, scope="email profile openid") == "code"


def test_a_larger_set_asks_for_the_new_scopes_only(http: TestClient, web: dict[str, Any]) -> None:
    sign_in(http, scope="openid email")
    response, _ = start_authorize(http, scope="openid email offline_access")
    page = http.get(response.headers["location"])
    assert "<code>offline_access</code>" in page.text
    assert "<code>email</code>" not in page.text
    done = submit_consent(http, response.headers["location"])
    assert query_of(done.headers["location"])["code"]
    # Both grants are remembered.
    assert _next_step(http, scope="openid email offline_access") == "code"
    assert _next_step(http, scope="openid email") == "code"


def test_prompt_consent_asks_again(http: TestClient, web: dict[str, Any]) -> None:
    sign_in(http)
    response, _ = start_authorize(http, prompt="consent")
    location = response.headers["location"]
    assert location.startswith("/consent?")
    page = http.get(location)
    for scope in ("openid", "profile", "email"):
        assert f"<code>{scope}</code>" in page.text
    done = submit_consent(http, location)
    assert query_of(done.headers["location"])["code"]


def test_consent_belongs_to_one_user(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http)
    response, _ = start_authorize(http, prompt="login")
    after = submit_login(http, response.headers["location"], "bob", "bob's long password")
    assert after.headers["location"].startswith("/consent?")


def test_consent_belongs_to_one_client(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    make_client(runtime, "other")
    sign_in(http)
    assert _next_step(http, client_id="other") == "consent"


def test_first_party_clients_skip_consent(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    make_client(runtime, first_party=True)
    response = submit_login(http, login_location(http))
    params = query_of(response.headers["location"])
    assert params["code"] and params["state"] == STATE and params["iss"] == ISSUER


def test_prompt_consent_asks_a_first_party_clients_user_too(
    runtime: Runtime, http: TestClient
) -> None:
    """OIDC Core §3.1.2.1: with prompt=consent the OP asks, whoever the client is."""
    make_user(runtime)
    make_client(runtime, first_party=True)
    sign_in(http)
    assert _next_step(http, prompt="consent") == "consent"


def test_first_party_clients_pass_prompt_none_without_stored_consent(
    runtime: Runtime, http: TestClient
) -> None:
    make_user(runtime)
    make_client(runtime, first_party=True)
    make_client(runtime, "third")
    sign_in(http, "third")
    assert _next_step(http, prompt="none") == "code"


# -- The interaction changes under the person's feet -------------------------------------------


def test_client_deleted_during_sign_in(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    location = login_location(http)
    delete_client(runtime, "web")
    response = http.get(location)
    assert_error_page(response, "invalid_request")
    assert "start again" in response.text or "removed" in response.text


def test_redirect_uri_unregistered_during_sign_in(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    location = consent_location(http)
    page = http.get(location)
    update_client(
        runtime, ClientSpec(client_id="web", redirect_uris=["https://app.example.com/new"])
    )
    response = http.post(
        "/consent",
        data={
            "csrf_token": csrf_from(page.text),
            "interaction": query_of(location)["interaction"],
            "decision": "allow",
        },
    )
    assert_error_page(response, "invalid_request")
    assert "redirect URI was unregistered" in response.text
    assert "location" not in response.headers


def _race_consent_at(runtime: Runtime, http: TestClient, location: str, count: int) -> list[Any]:
    """Submit the same consent form from ``count`` browsers at once (same cookies)."""
    page = http.get(location)
    data = {**consent_form(page.text), "decision": "allow"}
    cookies = dict(http.cookies.items())
    barrier = threading.Barrier(count)
    results: list[Any] = []
    lock = threading.Lock()

    def submit() -> None:
        with TestClient(
            create_app(runtime), base_url=ISSUER, follow_redirects=False, cookies=cookies
        ) as client:
            barrier.wait(timeout=30)
            response = client.post("/consent", data=data)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=submit) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_consent_submissions_issue_one_code(runtime: Runtime, http: TestClient) -> None:
    """The interaction completes once (a conditional UPDATE), and the first consent of a user
    is stored once, however many submissions race (this once raised a primary-key
    violation, a 500, on PostgreSQL). Several users, as the race is a matter of timing."""
    make_client(runtime)
    for round_ in range(3):
        make_user(runtime, f"racer{round_}")
        http.cookies.clear()
        results = _race_consent_as(runtime, http, f"racer{round_}", 6)
        assert len(results) == 6
        codes = [
            r for r in results if r.status_code == 303 and "code" in query_of(r.headers["location"])
        ]
        assert len(codes) == 1, [(r.status_code, r.headers.get("location")) for r in results]
        for response in results:
            if response not in codes:
                assert_error_page(response, "invalid_request")


def _race_consent_as(runtime: Runtime, http: TestClient, username: str, count: int) -> list[Any]:
    response, _ = start_authorize(http, state=STATE)
    after = submit_login(http, response.headers["location"], username, PASSWORD)
    assert after.headers["location"].startswith("/consent?")
    return _race_consent_at(runtime, http, after.headers["location"], count)


def test_consent_given_on_a_page_shown_to_another_person_is_asked_again(
    runtime: Runtime, http: TestClient
) -> None:
    """Tab 1 shows alice the consent page; bob signs in in tab 2; Allow in tab 1 must not
    record consent for bob or give the client bob's code."""
    make_client(runtime)
    make_user(runtime)
    bob = make_user(runtime, "bob")
    alices_page = http.get(consent_location(http))
    assert "alice" in alices_page.text
    bobs_tab = submit_login(http, login_location(http, prompt="login"), "bob")
    assert bobs_tab.headers["location"].startswith("/consent?interaction=")

    response = http.post("/consent", data={**consent_form(alices_page.text), "decision": "allow"})

    assert response.status_code == 303
    assert response.headers["location"].startswith("/consent?interaction=")
    assert runtime.store.consents.get(bob["id"], "web") is None
    assert "bob" in http.get(response.headers["location"]).text
