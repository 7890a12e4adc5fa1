"""Passkeys over HTTP, in process, with a software authenticator: the login page's passkey
sign-in through the authorization code flow, the /passkeys page (add, list, remove), CSRF on
every request, and bad input: a clear error, never a 500, nothing half-written."""

from __future__ import annotations

import re
from typing import Any

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from gatehouse.web.security import CONTENT_SECURITY_POLICY
from tests.support.authenticator import SoftAuthenticator, add_passkey, b64url, post_json
from tests.support.cookies import SESSION_COOKIE
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    csrf_from,
    install_clock,
    query_of,
    redeem,
    sign_in,
    start_authorize,
    submit_consent,
)
from tests.support.tokens import token_claims

ORIGIN = "http://testserver"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime, "alice")
    make_user(runtime, "bob")
    return make_client(runtime)


def enrolled(http: TestClient, login: str = "alice", **authenticator: Any) -> SoftAuthenticator:
    """Sign in with the password, add a passkey, and sign out of the browser."""
    sign_in(http, login=login)
    soft = SoftAuthenticator(ORIGIN, **authenticator)
    assert add_passkey(http, soft).json() == {"location": "/passkeys?done=added"}
    http.cookies.delete(SESSION_COOKIE)
    return soft


def login_page(http: TestClient) -> tuple[str, str, str]:
    """Start an authorization request; the login page's HTML, its CSRF token, and the
    interaction id."""
    response, _ = start_authorize(http)
    location = response.headers["location"]
    page = http.get(location)
    assert page.status_code == 200
    return page.text, csrf_from(page.text), query_of(location)["interaction"]


def passkey_sign_in(
    http: TestClient, authenticator: SoftAuthenticator, **lie: Any
) -> tuple[Response, dict[str, Any]]:
    """The login page's passkey button: options, the authenticator, the answer."""
    _, csrf, interaction = login_page(http)
    fields = {"csrf_token": csrf, "interaction": interaction}
    options = post_json(http, "/login/passkey/options", fields)
    assert options.status_code == 200, options.text
    body = {**fields, "credential": authenticator.get(options.json(), **lie)}
    return post_json(http, "/login/passkey", body), body


def events(runtime: Runtime, kind: str) -> list[Any]:
    return runtime.store.audit.list(AuditQuery(types=(kind,)))


# -- the login page ---------------------------------------------------------------------


def test_the_login_page_offers_passkeys_with_a_script_the_csp_allows(
    http: TestClient, web: dict[str, Any]
) -> None:
    html, _, interaction = login_page(http)

    assert 'autocomplete="username webauthn"' in html
    assert f'data-interaction="{interaction}"' in html
    assert '<script src="/static/passkeys.js" defer></script>' in html
    assert "<script>" not in html  # no inline script: the CSP would block it
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    script = http.get("/static/passkeys.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "isConditionalMediationAvailable" in script.text


def test_a_passkey_signs_in_through_the_code_flow_with_its_amr(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    authenticator = enrolled(http)
    response, verifier = start_authorize(http)
    location = response.headers["location"]
    page = http.get(location)
    fields = {"csrf_token": csrf_from(page.text), "interaction": query_of(location)["interaction"]}
    options = post_json(http, "/login/passkey/options", fields).json()

    answered = post_json(
        http, "/login/passkey", {**fields, "credential": authenticator.get(options)}
    )

    assert answered.status_code == 200, answered.text
    assert answered.headers["cache-control"] == "no-store"
    assert SESSION_COOKIE in answered.cookies  # set as a password sign-in sets it
    # Consent was given at the password sign-in before: straight back to the client.
    params = query_of(answered.json()["location"])
    tokens = redeem(http, params["code"], verifier, web)
    assert tokens.status_code == 200, tokens.text
    claims = token_claims(runtime, tokens.json()["id_token"])
    alice = _id(runtime, "alice")
    assert claims["sub"] == alice
    assert claims["amr"] == ["hwk", "user", "pin", "mfa"]
    # The newest sign-in is the passkey's (the password sign-in that added it came first).
    succeeded = events(runtime, "signin.succeeded")[0]
    assert (succeeded.user_id, succeeded.client_id, succeeded.details) == (
        alice,
        "web",
        {"methods": ["hwk", "user", "pin", "mfa"], "remember_me": False},
    )
    assert [e.user_id for e in events(runtime, "passkey.used")] == [alice]
    [stored] = runtime.store.passkeys.list_for_user(alice)
    assert stored.sign_count == 1


def test_a_passkey_sign_in_replaces_another_persons_session(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    authenticator = enrolled(http)
    sign_in(http, login="bob")
    response, _ = start_authorize(http, prompt="login")
    location = response.headers["location"]
    page = http.get(location)
    fields = {"csrf_token": csrf_from(page.text), "interaction": query_of(location)["interaction"]}
    options = post_json(http, "/login/passkey/options", fields).json()
    answered = post_json(
        http, "/login/passkey", {**fields, "credential": authenticator.get(options)}
    )
    next_page = answered.json()["location"]
    if next_page.startswith("/consent"):
        next_page = submit_consent(http, next_page).headers["location"]
    assert "code" in query_of(next_page)
    # The browser's session is now alice's: /passkeys lists hers.
    assert "Signed in as <strong>alice</strong>" in http.get("/passkeys").text


@pytest.mark.parametrize(
    ("lie", "message"),
    [
        ({"forge": True}, "could not be verified"),
        ({"origin": "https://evil.example"}, "could not be verified"),
        ({"rp_id": "evil.example"}, "could not be verified"),
    ],
)
def test_a_bad_assertion_is_a_clear_refusal_and_signs_nobody_in(
    runtime: Runtime, http: TestClient, web: dict[str, Any], lie: dict[str, Any], message: str
) -> None:
    authenticator = enrolled(http)
    signed_in_before = len(events(runtime, "signin.succeeded"))  # the password sign-ins
    answered, _ = passkey_sign_in(http, authenticator, **lie)

    assert answered.status_code == 400
    assert answered.json()["error"] == "invalid_request"
    assert message in answered.json()["error_description"]
    assert SESSION_COOKIE not in answered.cookies
    assert len(events(runtime, "signin.succeeded")) == signed_in_before
    assert [e.details["reason"] for e in events(runtime, "passkey.failed")] == ["verification"]


def test_a_replayed_assertion_is_refused(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    authenticator = enrolled(http)
    signed_in_before = len(events(runtime, "signin.succeeded"))  # the password sign-ins
    first, body = passkey_sign_in(http, authenticator)
    assert first.status_code == 200
    http.cookies.delete(SESSION_COOKIE)

    again = post_json(http, "/login/passkey", body)

    assert again.status_code == 400
    # The interaction is finished too; either way nothing signs in.
    assert SESSION_COOKIE not in again.cookies
    assert len(events(runtime, "signin.succeeded")) == signed_in_before + 1


def test_an_assertion_answers_only_its_own_sign_in(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    authenticator = enrolled(http)
    _, csrf, first = login_page(http)
    options = post_json(
        http, "/login/passkey/options", {"csrf_token": csrf, "interaction": first}
    ).json()
    _, _, second = login_page(http)

    answered = post_json(
        http,
        "/login/passkey",
        {"csrf_token": csrf, "interaction": second, "credential": authenticator.get(options)},
    )
    assert answered.status_code == 400
    assert "expired or was already used" in answered.json()["error_description"]


def test_another_persons_user_handle_is_refused(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    alices = enrolled(http, "alice")
    bobs = enrolled(http, "bob")
    bob_handle = next(iter(bobs.credentials.values())).user_handle
    _, csrf, interaction = login_page(http)
    fields = {"csrf_token": csrf, "interaction": interaction}
    options = post_json(http, "/login/passkey/options", fields).json()
    credential = alices.get(options)
    credential["response"]["userHandle"] = b64url(bob_handle)
    signed_in_before = len(events(runtime, "signin.succeeded"))  # the password sign-ins

    answered = post_json(http, "/login/passkey", {**fields, "credential": credential})
    assert answered.status_code == 400
    assert "not registered here" in answered.json()["error_description"]
    assert SESSION_COOKIE not in answered.cookies
    assert len(events(runtime, "signin.succeeded")) == signed_in_before


@pytest.mark.parametrize(
    ("path", "content", "content_type", "message"),
    [
        ("/login/passkey", "{", "application/json", "not valid JSON"),
        ("/login/passkey", "[1, 2]", "application/json", "must be a JSON object"),
        ("/login/passkey", "{}", "text/plain", "must be application/json"),
        ("/login/passkey", '{"x": "' + "a" * 20_000 + '"}', "application/json", "too large"),
        ("/login/passkey", "[" * 100_000, "application/json", "too large"),
        ("/login/passkey", "[" * 10_000, "application/json", "not valid JSON"),
        ("/login/passkey/options", "nope", "application/json", "not valid JSON"),
        ("/passkeys", "{", "application/json", "not valid JSON"),
        ("/passkeys/options", "1", "application/json", "must be a JSON object"),
    ],
)
def test_malformed_or_oversized_json_is_a_clear_400(
    http: TestClient, web: dict[str, Any], path: str, content: str, content_type: str, message: str
) -> None:
    response = http.post(path, content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert message in response.json()["error_description"]


def test_a_malformed_credential_is_refused_as_such(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    _, csrf, interaction = login_page(http)
    fields = {"csrf_token": csrf, "interaction": interaction}
    for credential in ({"id": 1}, "a string", None):
        answered = post_json(http, "/login/passkey", {**fields, "credential": credential})
        assert answered.status_code == 400, answered.text
        assert answered.json()["error"] == "invalid_request"
    assert [e.details["reason"] for e in events(runtime, "passkey.failed")] == ["malformed"]


@pytest.mark.parametrize("path", ["/login/passkey/options", "/login/passkey", "/passkeys",
                                  "/passkeys/options"])  # fmt: skip
def test_every_passkey_request_needs_the_pages_csrf_token(
    runtime: Runtime, http: TestClient, web: dict[str, Any], path: str
) -> None:
    authenticator = enrolled(http)
    _, csrf, interaction = login_page(http)
    for token in (None, "x" * 43):
        response = post_json(
            http, path, {"csrf_token": token, "interaction": interaction, "name": "Key"}
        )
        assert response.status_code == 403
        assert "This form has expired" in response.text
    # A valid token still works after all that: the refusals changed nothing.
    assert len(runtime.store.passkeys.list_for_user(_id(runtime, "alice"))) == 1
    options = post_json(
        http, "/login/passkey/options", {"csrf_token": csrf, "interaction": interaction}
    )
    assert options.status_code == 200
    answered = post_json(
        http,
        "/login/passkey",
        {
            "csrf_token": csrf,
            "interaction": interaction,
            "credential": authenticator.get(options.json()),
        },
    )
    assert answered.status_code == 200, answered.text


def test_options_for_an_unknown_sign_in_are_refused(http: TestClient, web: dict[str, Any]) -> None:
    _, csrf, _ = login_page(http)
    response = post_json(
        http, "/login/passkey/options", {"csrf_token": csrf, "interaction": "no-such"}
    )
    assert response.status_code == 400
    assert "expired or was already used" in response.json()["error_description"]


# -- /passkeys --------------------------------------------------------------------------


def _id(runtime: Runtime, login: str) -> str:
    user = runtime.store.users.find_by_login(login)
    assert user is not None
    return user.id


def test_the_passkeys_page_asks_a_stranger_to_sign_in_first(
    http: TestClient, web: dict[str, Any]
) -> None:
    page = http.get("/passkeys")
    # Through the account page's own sign-in (the built-in client), then back to /account.
    assert page.status_code == 303
    location = page.headers["location"]
    assert location.startswith("/authorize?")
    assert query_of(location)["client_id"] == "gatehouse-account"
    _, csrf, _ = login_page(http)
    response = post_json(http, "/passkeys/options", {"csrf_token": csrf, "name": "Key"})
    assert response.status_code == 400
    assert response.json()["error"] == "login_required"


def test_a_signed_in_person_adds_names_lists_and_removes_passkeys(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    sign_in(http)
    assert "You have no passkeys yet" in http.get("/passkeys").text
    assert add_passkey(http, SoftAuthenticator(ORIGIN), "Work laptop").status_code == 200
    clock.advance(1)
    assert add_passkey(http, SoftAuthenticator(ORIGIN, synced=True), "Phone").status_code == 200

    page = http.get("/passkeys?done=added")
    assert "Your passkey was added." in page.text
    names = re.findall(r"<strong>([^<]+)</strong>\s*<span", page.text)
    assert names == ["Work laptop", "Phone"]
    assert "On one device" in page.text and "Synced across devices" in page.text
    stored = runtime.store.passkeys.list_for_user(_id(runtime, "alice"))

    removed = http.post(
        "/passkeys/remove", data={"csrf_token": csrf_from(page.text), "passkey": stored[0].id}
    )
    assert (removed.status_code, removed.headers["location"]) == (303, "/passkeys?done=removed")
    page = http.get(removed.headers["location"])
    assert "The passkey was removed." in page.text
    assert [p.name for p in runtime.store.passkeys.list_for_user(_id(runtime, "alice"))] == [
        "Phone"
    ]
    assert [e.details["name"] for e in events(runtime, "passkey.removed")] == ["Work laptop"]
    assert len(events(runtime, "passkey.registered")) == 2


def test_a_passkey_name_is_checked_before_the_authenticator_is_asked(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http)
    csrf = csrf_from(http.get("/passkeys").text)
    response = post_json(http, "/passkeys/options", {"csrf_token": csrf, "name": "  "})
    assert response.status_code == 400
    assert "give the passkey a name" in response.json()["error_description"]


def test_removing_needs_csrf_and_ones_own_passkey(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    enrolled(http, "bob")
    bobs = runtime.store.passkeys.list_for_user(_id(runtime, "bob"))[0]
    sign_in(http, login="alice")
    csrf = csrf_from(http.get("/passkeys").text)

    forged = http.post("/passkeys/remove", data={"passkey": bobs.id})
    assert forged.status_code == 403
    others = http.post("/passkeys/remove", data={"csrf_token": csrf, "passkey": bobs.id})
    assert others.status_code == 400
    assert "no such passkey" in others.text
    assert runtime.store.passkeys.list_for_user(_id(runtime, "bob")) == [bobs]
    assert events(runtime, "passkey.removed") == []


def test_after_signing_out_the_page_changes_nothing(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http)
    csrf = csrf_from(http.get("/passkeys").text)
    http.cookies.delete(SESSION_COOKIE)
    response = post_json(http, "/passkeys/options", {"csrf_token": csrf, "name": "Key"})
    assert response.status_code == 400
    assert response.json()["error"] == "login_required"
