"""Admin consent over HTTP: an administrator's consent for the whole tenant skips the consent
page for what it covers; scopes an API marks admin_consent_required can never be granted by a
person (the page says an administrator must approve; the client gets access_denied, or
consent_required with prompt=none); withdrawing the admin consent asks people again and ends
the refresh tokens that relied on it; ``<api>/.default`` in delegated requests."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin import admin_consents
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.support.account import follow_account_sign_in
from tests.support.device import answer, enter_code, make_device_client, poll, start_device
from tests.support.factories import ORDERS_API, REDIRECT_URI, make_api, make_client, make_user
from tests.support.flow import (
    assert_error_redirect,
    authorize_params,
    consent_form,
    csrf_from,
    error_description,
    install_clock,
    query_of,
    redeem,
    scope_checkboxes,
    sign_in,
    start_authorize,
    submit_consent,
    submit_login,
)

READ, WRITE, DELETE = (f"{ORDERS_API}/orders.{n}" for n in ("read", "write", "delete"))
REGISTERED = ["openid", "profile", "email", "offline_access", READ, WRITE, DELETE]


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_api(
        runtime,
        scopes=("orders.read", "orders.write", "orders.delete"),
        admin_consent_required=["orders.delete"],
    )
    make_user(runtime)
    make_user(runtime, "bob")
    return make_client(runtime, scopes=REGISTERED, name="Shop")


def _after_login(http: TestClient, login: str = "alice", **params: str) -> Any:
    """GET /authorize with ``params``, sign in; the response after the login form."""
    response, _verifier = start_authorize(http, **params)
    return submit_login(http, response.headers["location"], login)


def _user_id(runtime: Runtime, login: str = "alice") -> str:
    user = runtime.store.users.find_by_login(login)
    assert user is not None
    return user.id


def _events(runtime: Runtime, type_: str) -> list[Any]:
    return runtime.store.audit.list(AuditQuery(types=(type_,)))


# -- Admin consent skips the consent page ------------------------------------------------------


def test_an_admin_consent_means_nobody_is_asked(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    admin_consents.grant_admin_consent(runtime, "web", ["openid", "profile", "orders.read"])
    for login in ("alice", "bob"):
        http.cookies.clear()
        done = _after_login(http, login, scope=f"openid profile {READ}")
        assert done.headers["location"].startswith(REDIRECT_URI), done.headers["location"]
        assert "code" in query_of(done.headers["location"])
    # Nothing was stored per person: the admin consent is the one record.
    assert runtime.store.consents.get(_user_id(runtime), "web") is None


def test_the_page_asks_only_for_scopes_beyond_the_admin_consent(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    admin_consents.grant_admin_consent(runtime, "web", ["openid", "profile"])
    asked = _after_login(http, scope="openid profile email")
    page = http.get(asked.headers["location"])
    assert sorted(scope_checkboxes(page.text).values()) == ["email"]
    done = http.post("/consent", data={**consent_form(page.text), "decision": "allow"})
    params = query_of(done.headers["location"])
    assert "code" in params
    consent = runtime.store.consents.get(_user_id(runtime), "web")
    assert consent is not None and consent.scopes == {"email"}


def test_a_persons_own_consent_keeps_working_beside_an_admin_consent(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http, scope="openid email")  # alice consents to openid email herself
    admin_consents.grant_admin_consent(runtime, "web", ["profile"])
    again, _verifier = start_authorize(http, scope="openid email profile", prompt="none")
    assert "code" in query_of(again.headers["location"]), again.headers["location"]


def test_prompt_none_gets_a_code_on_the_strength_of_the_admin_consent(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http, scope="openid")
    refused, _verifier = start_authorize(http, scope="openid profile", prompt="none")
    assert query_of(refused.headers["location"])["error"] == "consent_required"
    admin_consents.grant_admin_consent(runtime, "web", ["profile"])
    allowed, _verifier = start_authorize(http, scope="openid profile", prompt="none")
    assert "code" in query_of(allowed.headers["location"])


# -- Scopes only an administrator can consent to ----------------------------------------------


def test_an_admin_only_scope_shows_the_administrator_must_approve_page(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    asked = _after_login(http, scope=f"openid {READ} {DELETE}", state="s0")
    assert asked.headers["location"].startswith("/consent?")
    page = http.get(asked.headers["location"])
    assert page.status_code == 403
    assert "An administrator must approve this application" in page.text
    assert "orders.delete" in page.text and "Allows orders.delete" in page.text
    assert "orders.read" not in page.text  # only what needs the administrator
    assert 'type="checkbox"' not in page.text and 'value="allow"' not in page.text

    back = http.post(
        "/consent",
        data={"csrf_token": csrf_from(page.text), **_hidden(page.text), "decision": "deny"},
    )
    params = assert_error_redirect(back, "access_denied", state="s0")
    assert "administrator must approve" in params["error_description"]
    assert DELETE in params["error_description"]
    (event,) = _events(runtime, "consent.admin_approval_required")
    assert event.client_id == "web" and event.details == {"scopes": [DELETE]}
    assert runtime.store.consents.get(_user_id(runtime), "web") is None


def _hidden(html: str) -> dict[str, str]:
    form = html[html.index('<form method="post" action="/consent"') :]
    form = form[: form.index("</form>")]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_a_forged_consent_form_cannot_grant_an_admin_only_scope(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """Security: the person answers the "administrator must approve" page with a consent
    form of their own making, Allow and the admin-only scope ticked. No code, no consent."""
    params, _verifier = authorize_params(scope=f"openid {DELETE}", state="s1")
    asked = submit_login(http, http.get("/authorize", params=params).headers["location"])
    page = http.get(asked.headers["location"])
    forged = {**_hidden(page.text), "choose_scopes": "yes", "grant.0": DELETE, "decision": "allow"}
    response = http.post("/consent", data=forged)
    assert_error_redirect(response, "access_denied", state="s1")
    assert "administrator must approve" in error_description(response)
    consent = runtime.store.consents.get(_user_id(runtime), "web")
    assert consent is None or DELETE not in consent.scopes


def test_prompt_none_with_an_admin_only_scope_is_consent_required(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http, scope="openid")
    response, _verifier = start_authorize(http, scope=f"openid {DELETE}", prompt="none", state="s2")
    params = assert_error_redirect(response, "consent_required", state="s2")
    assert "administrator must approve" in params["error_description"]
    assert "prompt=none" in params["error_description"]


def test_with_the_admin_consent_an_admin_only_scope_is_issued_and_never_asked(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    admin_consents.grant_admin_consent(runtime, "web", ["orders.delete"])
    params, verifier = authorize_params(scope=f"openid {READ} {DELETE}")
    asked = submit_login(http, http.get("/authorize", params=params).headers["location"])
    page = http.get(asked.headers["location"])
    assert sorted(scope_checkboxes(page.text).values()) == [READ]  # openid is required
    done = submit_consent(http, asked.headers["location"])
    code = query_of(done.headers["location"])["code"]
    tokens = redeem(http, code, verifier, web).json()
    assert set(tokens["scope"].split()) == {"openid", READ, DELETE}
    consent = runtime.store.consents.get(_user_id(runtime), "web")
    assert consent is not None and DELETE not in consent.scopes


def test_prompt_consent_never_asks_a_person_for_an_admin_only_scope(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    admin_consents.grant_admin_consent(runtime, "web")
    asked = _after_login(http, scope=f"openid {DELETE}", prompt="consent")
    page = http.get(asked.headers["location"])
    assert "Allow access?" in page.text
    assert DELETE not in scope_checkboxes(page.text).values()
    assert "orders.delete" not in page.text


# -- Withdrawing an admin consent -------------------------------------------------------------


def _refresh(http: TestClient, client: dict[str, Any], token: str) -> Any:
    return http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(client["client_id"], client["client_secret"]),
    )


def _tokens(http: TestClient, client: dict[str, Any], login: str, scope: str) -> dict[str, Any]:
    http.cookies.clear()
    params, verifier = authorize_params(scope=scope)
    response = submit_login(http, http.get("/authorize", params=params).headers["location"], login)
    location = response.headers["location"]
    if location.startswith("/consent"):
        location = submit_consent(http, location).headers["location"]
    body: dict[str, Any] = redeem(http, query_of(location)["code"], verifier, client).json()
    return body


def test_withdrawing_it_ends_the_refresh_tokens_that_relied_on_it_and_asks_again(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    scope = f"openid offline_access {READ}"
    # bob consented himself before the administrator did; alice never did.
    bobs = _tokens(http, web, "bob", scope)
    admin_consents.grant_admin_consent(runtime, "web", ["openid", "offline_access", READ])
    alices = _tokens(http, web, "alice", scope)
    assert runtime.store.consents.get(_user_id(runtime), "web") is None

    result = admin_consents.revoke_admin_consent(runtime, "web")
    assert result["grants_revoked"] == 1 and result["scopes"] == []

    refused = _refresh(http, web, alices["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert _refresh(http, web, bobs["refresh_token"]).status_code == 200
    # Alice is asked again at her next sign-in.
    http.cookies.clear()
    asked = _after_login(http, scope=scope)
    assert asked.headers["location"].startswith("/consent?")
    (event,) = _events(runtime, "admin.consent.revoked")
    assert event.details["grants_revoked"] == 1


def test_withdrawing_one_scope_keeps_tokens_that_did_not_carry_it(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    admin_consents.grant_admin_consent(runtime, "web")
    plain = _tokens(http, web, "alice", "openid offline_access")
    with_delete = _tokens(http, web, "bob", f"openid offline_access {DELETE}")
    result = admin_consents.revoke_admin_consent(runtime, "web", ["orders.delete"])
    assert result["revoked"] == [DELETE] and result["grants_revoked"] == 1
    assert _refresh(http, web, plain["refresh_token"]).status_code == 200
    assert _refresh(http, web, with_delete["refresh_token"]).status_code == 400
    # And the admin-only scope needs an administrator again.
    http.cookies.clear()
    asked = _after_login(http, scope=f"openid {DELETE}")
    assert "An administrator must approve" in http.get(asked.headers["location"]).text


# -- .default in delegated requests ------------------------------------------------------------


def test_default_means_the_clients_configured_scopes_of_that_api(
    runtime: Runtime, http: TestClient, runtime_client: dict[str, Any]
) -> None:
    params, verifier = authorize_params(scope=f"openid {ORDERS_API}/.default")
    asked = submit_login(http, http.get("/authorize", params=params).headers["location"])
    page = http.get(asked.headers["location"])
    assert sorted(scope_checkboxes(page.text).values()) == [READ, WRITE]
    done = submit_consent(http, asked.headers["location"])
    tokens = redeem(http, query_of(done.headers["location"])["code"], verifier, runtime_client)
    assert set(tokens.json()["scope"].split()) == {"openid", READ, WRITE}


@pytest.fixture
def runtime_client(runtime: Runtime) -> dict[str, Any]:
    """A client configured for two of the orders API's three scopes."""
    make_api(runtime, scopes=("orders.read", "orders.write", "orders.delete"))
    make_api(runtime, "https://empty.example.com", scopes=("x.read",))
    make_user(runtime)
    return make_client(runtime, scopes=["openid", "profile", READ, WRITE])


@pytest.mark.parametrize(
    ("scope", "says"),
    [
        (f"openid {ORDERS_API}/.default orders.read", "cannot be combined"),
        (f"openid {ORDERS_API}/.default {READ}", "cannot be combined"),
        ("openid https://unknown.example.com/.default", "is not a registered API"),
        ("openid https://empty.example.com/.default", "no permissions configured"),
    ],
)
def test_bad_default_requests_are_invalid_scope(
    http: TestClient, runtime_client: dict[str, Any], scope: str, says: str
) -> None:
    response, _verifier = start_authorize(http, scope=scope, state="s3")
    params = assert_error_redirect(response, "invalid_scope", state="s3")
    assert says in params["error_description"]


# -- The device flow ---------------------------------------------------------------------------


def test_the_device_page_cannot_approve_an_admin_only_scope(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    tv = make_device_client(runtime, scopes=["openid", DELETE])
    started = start_device(http, tv, scope=f"openid {DELETE}").json()
    page = follow_account_sign_in(http, enter_code(http, started["user_code"]))
    assert "An administrator of your organisation must approve" in page.text
    assert 'value="approve"' not in page.text
    forged = answer(http, page, "approve")
    assert "Allow this device?" in forged.text  # asked again, nothing recorded
    assert poll(http, tv, started["device_code"]).json()["error"] == "authorization_pending"
    assert runtime.store.consents.get(_user_id(runtime), "tv") is None


def test_the_device_flow_honours_the_admin_consent_without_storing_admin_only_scopes(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    tv = make_device_client(runtime, scopes=["openid", READ, DELETE])
    admin_consents.grant_admin_consent(runtime, "tv", ["orders.delete"])
    started = start_device(http, tv, scope=f"openid {READ} {DELETE}").json()
    page = follow_account_sign_in(http, enter_code(http, started["user_code"]))
    answer(http, page, "approve")
    install_clock(runtime).advance(10)  # past the polling interval
    body = poll(http, tv, started["device_code"]).json()
    assert set(body["scope"].split()) == {"openid", READ, DELETE}
    consent = runtime.store.consents.get(_user_id(runtime), "tv")
    assert consent is not None and consent.scopes == {"openid", READ}
