"""Signing in through an upstream identity provider (docs/federation.md), against a second
gatehouse running on loopback as the upstream (tests/support/federation.py): the happy
paths (just-in-time account, the same account next time, a link only after the local
account is proved) and every bad answer — a wrong, replayed or foreign state, an upstream
error, an unreachable upstream, an ID token with the wrong nonce: a page that says what
went wrong, an audit event, nothing signed in, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.crypto import sha256_digest
from gatehouse.keys.jose import unverified_claims
from gatehouse.protocol.federation.sealed import seal, unseal
from gatehouse.runtime import Runtime
from gatehouse.settings import Settings
from gatehouse.storage.records import AuditQuery
from gatehouse.web.app import create_app
from tests.conftest import test_settings as make_settings
from tests.support.factories import make_client, make_user
from tests.support.federation import (
    ALIAS,
    Upstream,
    callback_path,
    configure,
    press_button,
    running_upstream,
    sign_in_upstream,
    upstream_browser,
)
from tests.support.flow import (
    assert_error_page,
    follow_to_client,
    query_of,
    redeem,
    start_authorize,
    submit_login,
)

# The gatehouse under test, at a loopback address: the upstream registers its callback
# (plain http is allowed only there). Nothing listens on it: the test client is in-process.
ISSUER = "http://127.0.0.1:18443"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path, issuer=ISSUER)


@pytest.fixture
def http(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime), base_url=ISSUER, follow_redirects=False) as client:
        yield client


@pytest.fixture
def upstream(runtime: Runtime, sqlite_template: Path, tmp_path: Path) -> Iterator[Upstream]:
    with running_upstream(sqlite_template, tmp_path / "upstream", ISSUER) as running:
        yield running


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    return make_client(runtime)


def events(runtime: Runtime, kind: str) -> list[Any]:
    return runtime.store.audit.list(AuditQuery(types=(kind,)))


def to_upstream(http: TestClient) -> tuple[str, str]:
    """A downstream authorization request, and "Sign in with Example Corp" pressed: the
    login page's location and the upstream's authorization URL."""
    response, _verifier = start_authorize(http)
    login = response.headers["location"]
    pressed = press_button(http, login)
    assert pressed.status_code == 303, pressed.text
    return login, pressed.headers["location"]


def federated_callback(http: TestClient, upstream: Upstream) -> str:
    """Through the upstream's sign-in: the callback URL (not yet followed)."""
    _login, authorize = to_upstream(http)
    with upstream_browser(upstream) as browser:
        return sign_in_upstream(browser, authorize)


def test_the_button_sends_the_browser_upstream_with_pkce_state_and_nonce(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    _login, authorize = to_upstream(http)
    params = query_of(authorize)
    assert authorize.startswith(f"{upstream.url}/authorize?")
    assert params["client_id"] == upstream.client["client_id"]
    assert params["redirect_uri"] == f"{ISSUER}/login/federated/callback"
    assert params["response_type"] == "code"
    assert params["code_challenge_method"] == "S256"
    assert params["scope"] == "openid profile email"
    assert len(params["state"]) >= 43 and len(params["nonce"]) >= 43


def test_a_first_sign_in_creates_the_account_and_the_next_finds_it(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    callback = federated_callback(http, upstream)
    location = follow_to_client(http, http.get(callback_path(callback)))
    tokens = redeem(http, query_of(location)["code"], None, web)
    assert tokens.status_code == 400  # the flow used PKCE: the verifier is needed
    user = runtime.store.users.find_by_login("alice@corp.example")
    assert user is not None
    assert (user.username, user.email_verified, user.name) == ("alice", True, "Alice Corp")
    assert user.password_hash is None
    assert [e.user_id for e in events(runtime, "federation.user_created")] == [user.id]
    [succeeded] = events(runtime, "signin.succeeded")
    assert succeeded.details["methods"] == ["fed"]

    http.cookies.clear()  # another day, another browser session
    again = federated_callback(http, upstream)
    location = follow_to_client(http, http.get(callback_path(again)))
    assert "code" in query_of(location)
    assert len(runtime.store.users.list()) == 1
    assert len(events(runtime, "federation.user_created")) == 1


def test_the_id_token_says_fed_and_not_the_upstreams_acr(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    response, verifier = start_authorize(http)
    pressed = press_button(http, response.headers["location"])
    with upstream_browser(upstream) as browser:
        callback = sign_in_upstream(browser, pressed.headers["location"])
    location = follow_to_client(http, http.get(callback_path(callback)))
    tokens = redeem(http, query_of(location)["code"], verifier, web)
    assert tokens.status_code == 200, tokens.text
    claims = unverified_claims(tokens.json()["id_token"])
    assert claims["amr"] == ["fed"]
    assert claims["acr"] == "urn:gatehouse:acr:password"


def test_a_taken_username_gets_a_derived_one(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    make_user(runtime, "alice", email="alice@elsewhere.example")
    configure(runtime, upstream)
    callback = federated_callback(http, upstream)
    follow_to_client(http, http.get(callback_path(callback)))
    created = runtime.store.users.find_by_login("alice@corp.example")
    assert created is not None and created.username == f"alice.{ALIAS}"


def test_without_jit_an_unknown_person_is_told_to_ask_an_administrator(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream, jit=False)
    callback = federated_callback(http, upstream)
    page = http.get(callback_path(callback))
    assert_error_page(page, "federation_account", 403)
    assert "ask an administrator" in page.text
    assert "gh_session" not in page.cookies
    assert runtime.store.users.list() == []


# -- Linking to an existing account ---------------------------------------------------------


def test_an_existing_account_with_the_same_email_is_linked_only_after_its_password(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    local = make_user(runtime, "alice-local", email="alice@corp.example", email_verified=True)
    configure(runtime, upstream)
    callback = federated_callback(http, upstream)
    response = http.get(callback_path(callback))
    assert response.status_code == 303
    login = response.headers["location"]
    assert login.startswith("/login?") and f"link={ALIAS}" in login
    assert "gh_session" not in response.cookies  # nothing signed in by the upstream alone
    page = http.get(login)
    assert "Sign in to that account once to link the two" in page.text
    assert runtime.store.federation.identities_of(local["id"]) == []

    follow_to_client(http, submit_login(http, login, "alice-local"))
    [linked] = runtime.store.federation.identities_of(local["id"])
    assert linked.alias == ALIAS
    assert [e.user_id for e in events(runtime, "federation.linked")] == [local["id"]]

    http.cookies.clear()
    again = federated_callback(http, upstream)
    location = follow_to_client(http, http.get(callback_path(again)))
    assert "code" in query_of(location)
    assert len(runtime.store.users.list()) == 1  # the same account, no new one


def test_no_link_without_proof_of_the_local_account(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    """Account takeover: controlling an upstream account with someone's address must not
    be enough. A wrong password links nothing; signing in as someone else links nothing."""
    local = make_user(runtime, "alice-local", email="alice@corp.example", email_verified=True)
    make_user(runtime, "mallory")
    configure(runtime, upstream)
    login = http.get(callback_path(federated_callback(http, upstream))).headers["location"]
    wrong = submit_login(http, login, "alice-local", "not the password")
    assert wrong.status_code == 200 and "not correct" in wrong.text
    follow_to_client(http, submit_login(http, login, "mallory"))
    assert runtime.store.federation.identities_of(local["id"]) == []
    mallory = runtime.store.users.find_by_login("mallory")
    assert mallory is not None and runtime.store.federation.identities_of(mallory.id) == []
    assert events(runtime, "federation.linked") == []


def test_an_unverified_upstream_email_is_never_linked(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    make_user(runtime, "alice-local", email="alice@corp.example")
    configure(runtime, upstream, claim_mappings={"email_verified": "no_such_claim"})
    page = http.get(callback_path(federated_callback(http, upstream)))
    assert_error_page(page, "federation_account", 403)
    assert "does not say the address is verified" in page.text


# -- Bad answers ----------------------------------------------------------------------------


def test_a_replayed_callback_signs_nothing_in(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    callback = callback_path(federated_callback(http, upstream))
    assert http.get(callback).status_code == 303
    http.cookies.delete("gh_session")
    replayed = http.get(callback)
    assert_error_page(replayed, "federation_state")
    assert "gh_session" not in replayed.cookies
    assert [e.details["reason"] for e in events(runtime, "federation.failed")] == ["state"]


@pytest.mark.parametrize(
    ("state", "error"),
    [
        ("forged", "federation_state"),
        ("", "federation_state"),
        ("x" * 5000, "invalid_request"),  # over the parameter size limit (messages.py)
    ],
)
def test_a_wrong_state_is_refused(
    runtime: Runtime,
    http: TestClient,
    upstream: Upstream,
    web: dict[str, Any],
    state: str,
    error: str,
) -> None:
    configure(runtime, upstream)
    callback = federated_callback(http, upstream)
    params = {**query_of(callback), "state": state}
    response = http.get("/login/federated/callback", params=params)
    assert_error_page(response, error)
    assert "gh_session" not in response.cookies


def test_a_callback_in_another_browser_is_refused(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    callback = callback_path(federated_callback(http, upstream))
    with TestClient(create_app(runtime), base_url=ISSUER, follow_redirects=False) as other:
        response = other.get(callback)
    assert_error_page(response, "federation_state")
    assert "gh_session" not in response.cookies


def test_an_upstream_error_is_a_clear_page_and_the_sign_in_page_stays(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    login, authorize = to_upstream(http)
    state = query_of(authorize)["state"]
    response = http.get(
        "/login/federated/callback",
        params={"state": state, "error": "access_denied", "error_description": "<b>no</b>"},
    )
    assert_error_page(response, "federation_upstream_error")
    assert "Example Corp did not sign you in (it answered access_denied)" in response.text
    assert "<b>no</b>" not in response.text
    assert f'href="/login?interaction={query_of(login)["interaction"]}"' in response.text
    assert http.get(login).status_code == 200  # the person may choose another way
    [failed] = events(runtime, "federation.failed")
    assert failed.details == {"reason": "upstream_error", "upstream": ALIAS}


def test_a_wrong_nonce_is_refused(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    """An ID token minted for another sign-in (its nonce) is not this one's."""
    configure(runtime, upstream)
    _login, authorize = to_upstream(http)
    state_hash = sha256_digest(query_of(authorize)["state"])
    _swap_nonce(runtime, state_hash)
    with upstream_browser(upstream) as browser:
        callback = sign_in_upstream(browser, authorize)
    response = http.get(callback_path(callback))
    assert_error_page(response, "federation_nonce")
    assert "gh_session" not in response.cookies
    assert runtime.store.users.list() == []


def _swap_nonce(runtime: Runtime, state_hash: str) -> None:
    """Reseal the stored state with another nonce, as if the ID token were another's."""
    from gatehouse.storage.sql import tables as t

    encryptor = runtime.provider.federation_secrets
    table = t.federation_states
    with runtime.database.atomic() as conn:
        row = conn.execute(table.select().where(table.c.state_hash == state_hash)).one()
        value = unseal(encryptor, row.payload, bound_to=state_hash)
        assert value is not None
        value["nonce"] = "another-sign-in"
        payload = seal(encryptor, value, bound_to=state_hash)
        conn.execute(table.update().where(table.c.state_hash == state_hash).values(payload=payload))


def test_an_unreachable_upstream_is_a_clear_page(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(
        runtime, upstream, discovery_url="http://127.0.0.1:9/.well-known/openid-configuration"
    )
    response, _verifier = start_authorize(http)
    login = response.headers["location"]
    pressed = press_button(http, login)
    assert_error_page(pressed, "federation_discovery", 502)
    assert "could not reach the other provider" in pressed.text
    assert [e.details["reason"] for e in events(runtime, "federation.failed")] == ["discovery"]


def test_an_unknown_upstream_is_refused(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    response, _verifier = start_authorize(http)
    login = response.headers["location"]
    page = http.get(login)
    from tests.support.flow import csrf_from

    data = {"csrf_token": csrf_from(page.text), "interaction": query_of(login)["interaction"]}
    response = http.post("/login/federated", data={**data, "upstream": "nope"})
    assert_error_page(response, "federation_unknown_upstream")


def test_the_button_form_needs_its_csrf_token(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    response, _verifier = start_authorize(http)
    login = response.headers["location"]
    http.get(login)
    data = {"interaction": query_of(login)["interaction"], "upstream": ALIAS}
    refused = http.post("/login/federated", data={**data, "csrf_token": "wrong"})
    assert_error_page(refused, "invalid_request", 403)  # the form expired (web/csrf.py)


def test_the_login_page_has_no_buttons_without_upstreams(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    response, _verifier = start_authorize(http)
    page = http.get(response.headers["location"])
    assert "/login/federated" not in page.text


# -- Upstream logout ------------------------------------------------------------------------


def test_signing_out_sends_the_browser_to_the_upstreams_logout_and_back(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    callback = federated_callback(http, upstream)
    follow_to_client(http, http.get(callback_path(callback)))
    page = http.get("/logout")
    from tests.support.flow import csrf_from

    response = http.post("/logout", data={"confirm": "yes", "csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    upstream_logout = response.headers["location"]
    assert upstream_logout.startswith(f"{upstream.url}/logout?")
    params = query_of(upstream_logout)
    assert params["post_logout_redirect_uri"] == f"{ISSUER}/logout/federated/done"
    assert unverified_claims(params["id_token_hint"])["iss"] == upstream.url
    with upstream_browser(upstream) as browser:
        back = browser.get(upstream_logout)
    assert back.status_code == 303, back.text
    done = back.headers["location"]
    assert done.startswith(f"{ISSUER}/logout/federated/done?")
    signed_out = http.get(callback_path(done))
    assert signed_out.status_code == 200 and "You are signed out" in signed_out.text
    assert http.get(callback_path(done)).status_code == 200  # the state is spent, page stays


def test_the_buttons_speak_the_persons_language(
    runtime: Runtime, http: TestClient, upstream: Upstream, web: dict[str, Any]
) -> None:
    configure(runtime, upstream)
    response, _verifier = start_authorize(http)
    page = http.get(response.headers["location"], headers={"Accept-Language": "de"})
    assert "Mit Example Corp anmelden" in page.text
    assert 'aria-label="Andere Anmeldemöglichkeiten"' in page.text
