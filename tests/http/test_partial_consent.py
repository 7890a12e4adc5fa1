"""Partial consent: the person may leave out every scope but openid on the consent page.
The stored consent records both answers; the code, the ID and access tokens, UserInfo and
the token response's scope (RFC 6749 §5.1) carry only what was granted. A scope left out is
not asked about again, nor granted silently; prompt=consent asks again."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin.users import find_user
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    FlowResult,
    assert_error_redirect,
    authorize_params,
    consent_form,
    query_of,
    redeem,
    scope_checkboxes,
    submit_consent,
    submit_login,
)
from tests.support.tokens import token_claims, userinfo

STATE = "st-partial"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


def flow(
    http: TestClient, *, unticked: tuple[str, ...] = (), **overrides: Any
) -> tuple[FlowResult, list[str]]:
    """Run a sign-in, leaving out ``unticked`` on the consent page; the result and, for each
    consent page shown, the scopes it offered to leave out."""
    params, verifier = authorize_params(state=STATE, **overrides)
    response = http.get("/authorize", params=params)
    offered: list[str] = []
    for _ in range(4):
        location = response.headers["location"]
        if location.startswith("/login"):
            response = submit_login(http, location)
        elif location.startswith("/consent"):
            offered += scope_checkboxes(http.get(location).text).values()
            response = submit_consent(http, location, unticked=unticked)
        else:
            return FlowResult(location, query_of(location), verifier), offered
    raise AssertionError("too many redirects")


def tokens_of(http: TestClient, web: dict[str, Any], result: FlowResult) -> dict[str, Any]:
    response = redeem(http, result.params["code"], result.verifier, web)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_scope_left_out_is_in_no_token(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    result, offered = flow(http, unticked=("email",))
    assert offered == ["profile", "email"]  # openid is not optional: no checkbox
    body = tokens_of(http, web, result)
    assert body["scope"] == "openid profile"  # RFC 6749 §5.1: differs from the request
    id_token = token_claims(runtime, body["id_token"])
    assert "email" not in id_token and id_token["name"] == "Alice"
    assert token_claims(runtime, body["access_token"])["scope"] == "openid profile"
    info = userinfo(http, body["access_token"]).json()
    assert "email" not in info and info["name"] == "Alice"
    alice = find_user(runtime, "alice")
    consent = runtime.store.consents.get(alice.id, "web")
    assert consent is not None
    assert (consent.scopes, consent.declined_scopes) == ({"openid", "profile"}, {"email"})
    [event] = runtime.store.audit.list(AuditQuery(types=("consent",)))
    assert (event.type, event.user_id, event.client_id, event.actor) == (
        "consent.granted",
        alice.id,
        "web",
        "user",
    )
    assert event.details == {"granted": ["openid", "profile"], "declined": ["email"]}


def test_the_same_request_again_is_not_asked_and_not_granted_silently(
    http: TestClient, web: dict[str, Any]
) -> None:
    flow(http, unticked=("email",))
    again, offered = flow(http)
    assert offered == []  # no consent page: no nagging
    assert tokens_of(http, web, again)["scope"] == "openid profile"
    silent, _ = flow(http, prompt="none")
    assert tokens_of(http, web, silent)["scope"] == "openid profile"


def test_a_new_scope_is_asked_about_alone(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    web = make_client(runtime, scopes=["openid", "profile", "email", "phone"])
    flow(http, unticked=("email",), scope="openid profile email")
    result, offered = flow(http, scope="openid profile email phone")
    assert offered == ["phone"]
    assert tokens_of(http, web, result)["scope"] == "openid profile phone"


def test_prompt_consent_asks_again_and_the_latest_answer_wins(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    flow(http, unticked=("email",))
    granted, offered = flow(http, prompt="consent")
    assert offered == ["profile", "email"]
    assert tokens_of(http, web, granted)["scope"] == "openid profile email"
    withdrawn, _ = flow(http, prompt="consent", unticked=("profile",))
    assert tokens_of(http, web, withdrawn)["scope"] == "openid email"
    later, offered = flow(http)
    assert offered == []
    assert tokens_of(http, web, later)["scope"] == "openid email"


def test_openid_cannot_be_left_out_and_unasked_scopes_cannot_be_added(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    params, verifier = authorize_params(state=STATE, scope="openid email")
    location = submit_login(http, http.get("/authorize", params=params).headers["location"])
    page = http.get(location.headers["location"])
    fields = consent_form(page.text, unticked=("email",))
    fields.update({"grant.7": "profile", "decision": "allow"})  # a forged, unasked scope
    response = http.post("/consent", data=fields)
    result = FlowResult(
        response.headers["location"], query_of(response.headers["location"]), verifier
    )
    assert tokens_of(http, web, result)["scope"] == "openid"


def test_leaving_out_every_scope_is_a_denial(http: TestClient, web: dict[str, Any]) -> None:
    """A plain OAuth request (no openid) whose every scope is left out gets no code."""
    params, _ = authorize_params(state=STATE, scope="profile email", nonce=None)
    location = submit_login(http, http.get("/authorize", params=params).headers["location"])
    response = submit_consent(http, location.headers["location"], unticked=("profile", "email"))
    assert_error_redirect(response, "access_denied", state=STATE)
    # Nothing was stored: the next request asks again.
    _, offered = flow(http, scope="profile email", nonce=None)
    assert offered == ["profile", "email"]


def test_a_form_without_the_choice_grants_every_scope_asked(
    http: TestClient, web: dict[str, Any]
) -> None:
    """A consent form that does not carry the checkboxes (a page rendered before partial
    consent, a script) answers for every scope it was shown."""
    params, verifier = authorize_params(state=STATE)
    location = submit_login(http, http.get("/authorize", params=params).headers["location"])
    fields = consent_form(
        http.get(location.headers["location"]).text, unticked=("profile", "email")
    )
    del fields["choose_scopes"]
    response = http.post("/consent", data={**fields, "decision": "allow"})
    result = FlowResult(
        response.headers["location"], query_of(response.headers["location"]), verifier
    )
    assert tokens_of(http, web, result)["scope"] == "openid profile email"
