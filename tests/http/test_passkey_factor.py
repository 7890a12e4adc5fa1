"""A passkey as the second factor after a password (policy or client require one) and for
step-up to the phishing-resistant classes phr and phrh, over HTTP with the software
authenticator: the amr the tokens carry, wrong and replayed assertions counted as failed
factors, and a class the person's passkeys cannot reach refused."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from gatehouse.admin.policy import set_policy
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.support.account import follow_account_sign_in, open_account
from tests.support.authenticator import SoftAuthenticator, add_passkey
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    FakeClock,
    assert_error_redirect,
    csrf_from,
    install_clock,
    query_of,
    redeem,
    sign_in,
    start_authorize,
    submit_consent,
    submit_login,
)
from tests.support.mfa import code_at, enrol_totp
from tests.support.tokens import token_claims

ORIGIN = "http://testserver"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime, first_party=True)


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    return install_clock(runtime)


def with_passkey(http: TestClient, **authenticator: Any) -> SoftAuthenticator:
    """Sign in with the password and add a passkey; the browser stays signed in."""
    sign_in(http)
    soft = SoftAuthenticator(ORIGIN, **authenticator)
    assert add_passkey(http, soft).json() == {"location": "/passkeys?done=added"}
    return soft


def password_to_verify(http: TestClient, **overrides: Any) -> tuple[str, str]:
    """In a new browser: start a sign-in and give the password; the verification page."""
    http.cookies.clear()
    response, verifier = start_authorize(http, **overrides)
    response = submit_login(http, response.headers["location"])
    location = response.headers["location"]
    assert location.startswith("/login/verify?interaction="), location
    return location, verifier


def offered_options(html: str) -> dict[str, Any]:
    match = re.search(r"data-options='([^']*)'", html)
    assert match, "the page offers no passkey"
    options: dict[str, Any] = json.loads(match.group(1))
    return options


def answer(http: TestClient, location: str, credential: dict[str, Any], page: str) -> Response:
    return http.post(
        "/login/verify",
        data={
            "csrf_token": csrf_from(page),
            "interaction": query_of(location)["interaction"],
            "method": "webauthn",
            "credential": json.dumps(credential),
        },
    )


def use_passkey(http: TestClient, location: str, soft: SoftAuthenticator) -> Response:
    page = http.get(location).text
    return answer(http, location, soft.get(offered_options(page)), page)


def claims_of(
    runtime: Runtime, http: TestClient, web: dict[str, Any], response: Response, verifier: str
) -> dict[str, Any]:
    location = response.headers["location"]
    if location.startswith("/consent"):
        location = submit_consent(http, location).headers["location"]
    body = redeem(http, query_of(location)["code"], verifier, web).json()
    return token_claims(runtime, body["id_token"])


def events(runtime: Runtime, kind: str) -> list[str]:
    return [e.type for e in runtime.store.audit.list(AuditQuery(types=(kind,)))]


def test_a_device_bound_passkey_is_the_second_factor_the_policy_requires(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    soft = with_passkey(http)
    set_policy(runtime, ("mfa=required",), ())
    location, verifier = password_to_verify(http)
    page = http.get(location).text
    assert 'id="passkey-factor"' in page
    assert '<script src="/static/passkeys.js" defer></script>' in page
    assert "<script>" not in page  # the CSP allows scripts from gatehouse only
    options = offered_options(page)
    assert options["userVerification"] == "preferred"
    assert [c["id"] for c in options["allowCredentials"]] == [
        p.credential_id for p in runtime.provider.passkeys.list(runtime_user(runtime))
    ]

    response = answer(http, location, soft.get(options), page)

    assert response.status_code == 303, response.text
    claims = claims_of(runtime, http, web, response, verifier)
    assert claims["amr"] == ["pwd", "hwk", "user", "pin", "mfa"]
    assert events(runtime, "mfa.succeeded") == ["mfa.succeeded"]
    # The passkey's own event says where the answer came from and for which application.
    [used] = runtime.store.audit.list(AuditQuery(types=("passkey.used",)))
    assert (used.ip, used.client_id) == ("testclient", web["client_id"])


def runtime_user(runtime: Runtime) -> str:
    user = runtime.provider.users.find_by_login("alice")
    assert user is not None
    return user.id


def test_a_synced_passkey_without_user_verification_for_a_client_that_requires_mfa(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    soft = with_passkey(http, synced=True)
    soft.verifies_user = False  # registration verified the person; this use does not
    strict = make_client(runtime, "strict", first_party=True, require_mfa=True)
    location, verifier = password_to_verify(http, client_id="strict")

    response = use_passkey(http, location, soft)

    claims = claims_of(runtime, http, strict, response, verifier)
    assert claims["amr"] == ["pwd", "swk", "user", "mfa"]


def test_having_a_passkey_does_not_make_every_password_sign_in_ask_for_it(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    with_passkey(http)
    http.cookies.clear()
    response, _ = start_authorize(http)
    response = submit_login(http, response.headers["location"])
    assert not response.headers["location"].startswith("/login/verify")


def test_wrong_and_replayed_assertions_count_as_failed_factors(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    soft = with_passkey(http)
    set_policy(runtime, ("mfa=required",), ())
    location, verifier = password_to_verify(http)
    page = http.get(location).text
    options = offered_options(page)
    forged = answer(http, location, soft.get(options, forge=True), page)
    assert forged.status_code == 400
    assert "That passkey could not be used" in forged.text
    # The challenge went with the forged answer: the real one, replayed on it, is refused.
    replayed = answer(http, location, soft.get(options), page)
    assert replayed.status_code == 400
    assert "That passkey could not be used" in replayed.text
    assert events(runtime, "mfa.failed") == ["mfa.failed", "mfa.failed"]
    failures = runtime.store.audit.list(AuditQuery(types=("passkey.failed",)))
    assert [(e.ip, e.client_id) for e in failures] == [("testclient", web["client_id"])] * 2
    # Brute-force protection (docs/lockout.md) counts them as the passkey factor's failures.
    failed = runtime.store.audit.list(AuditQuery(types=("signin.failed",)))
    assert [e.details["factor"] for e in failed] == ["webauthn", "webauthn"]
    # A fresh challenge with the passkey still signs in.
    response = use_passkey(http, location, soft)
    assert "pwd" in claims_of(runtime, http, web, response, verifier)["amr"]


def test_an_answer_that_is_no_passkey_response_gets_a_clear_message(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    with_passkey(http)
    set_policy(runtime, ("mfa=required",), ())
    location, _ = password_to_verify(http)
    page = http.get(location).text
    response = http.post(
        "/login/verify",
        data={
            "csrf_token": csrf_from(page),
            "interaction": query_of(location)["interaction"],
            "method": "webauthn",
            "credential": "not json",
        },
    )
    assert response.status_code == 400
    assert "Use the passkey button" in response.text
    assert events(runtime, "mfa.failed") == []


def test_step_up_to_phr_after_a_password_asks_for_the_passkey_only(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    soft = with_passkey(http, synced=True)
    enrol_totp(runtime)  # an app too: it does not reach phr, so it is not offered
    clock.advance(60)
    response, verifier = start_authorize(http, acr_values="phr")
    location = response.headers["location"]
    assert location.startswith("/login/verify?"), location  # no password asked
    page = http.get(location).text
    assert 'name="method" value="webauthn"' in page
    assert 'value="totp"' not in page and 'value="recovery_code"' not in page

    response = use_passkey(http, location, soft)

    claims = claims_of(runtime, http, web, response, verifier)
    assert claims["acr"] == "phr"
    assert claims["amr"] == ["pwd", "swk", "user", "pin", "mfa"]
    assert events(runtime, "mfa.step_up") == ["mfa.step_up"]


def test_phrh_is_refused_when_the_only_passkey_is_synced(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    with_passkey(http, synced=True)
    response, _ = start_authorize(http, acr_values="phrh", state="s2")
    assert_error_redirect(response, "unmet_authentication_requirements", state="s2")


def test_phrh_offers_only_the_device_bound_passkey(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    synced = with_passkey(http, synced=True)
    bound = SoftAuthenticator(ORIGIN)
    assert add_passkey(http, bound, "Security key").status_code == 200
    response, verifier = start_authorize(http, acr_values="phrh")
    location = response.headers["location"]
    options = offered_options(http.get(location).text)
    assert [c["id"] for c in options["allowCredentials"]] == [
        p.credential_id
        for p in runtime.provider.passkeys.list(runtime_user(runtime))
        if not p.backup_eligible
    ]
    # A synced passkey answering anyway (a browser ignoring allowCredentials) is refused.
    page = http.get(location).text
    refused = answer(http, location, synced.get(offered_options(page)), page)
    assert refused.status_code == 400

    response = use_passkey(http, location, bound)

    claims = claims_of(runtime, http, web, response, verifier)
    assert claims["acr"] == "phrh"
    assert claims["amr"][:1] == ["pwd"] and "hwk" in claims["amr"]


# -- the account page, and removing a passkey or the app on an old sign-in ----------------


def test_the_account_page_links_to_passkeys_and_two_step_verification(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    page = open_account(http)
    assert "You have no passkeys yet." in page.text
    assert '<a href="/passkeys">Add a passkey</a>' in page.text
    assert '<a href="/mfa">Set up an authenticator app</a>' in page.text
    add_passkey(http, SoftAuthenticator(ORIGIN))
    enrol_totp(runtime)
    page = http.get("/account")
    assert "You have 1 passkey." in page.text
    assert '<a href="/passkeys">Manage your passkeys</a>' in page.text
    assert "An authenticator app is set up (10 recovery codes left)." in page.text
    assert '<a href="/mfa">Manage two-step verification</a>' in page.text


def test_removing_a_passkey_needs_a_recent_sign_in(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    with_passkey(http)
    (passkey,) = runtime.provider.passkeys.list(runtime_user(runtime))
    page = http.get("/passkeys")
    clock.advance(6 * 60)  # past the default 5-minute window, within the idle lifetime

    response = http.post(
        "/passkeys/remove", data={"csrf_token": csrf_from(page.text), "passkey": passkey.id}
    )

    assert response.status_code == 303
    location = response.headers["location"]
    assert query_of(location)["max_age"] == "0"  # sign in again first
    assert runtime.provider.passkeys.list(runtime_user(runtime)) == [passkey]
    follow_account_sign_in(http, response)
    page = http.get("/passkeys")
    response = http.post(
        "/passkeys/remove", data={"csrf_token": csrf_from(page.text), "passkey": passkey.id}
    )
    assert response.headers["location"] == "/passkeys?done=removed"
    assert runtime.provider.passkeys.list(runtime_user(runtime)) == []


def test_removing_the_authenticator_app_needs_a_recent_sign_in(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    sign_in(http)
    secret, _ = enrol_totp(runtime)
    page = http.get("/mfa")
    clock.advance(6 * 60)

    response = http.post(
        "/mfa/totp/remove",
        data={"csrf_token": csrf_from(page.text), "code": code_at(secret, clock.now)},
    )

    assert response.status_code == 303
    assert query_of(response.headers["location"])["max_age"] == "0"
    assert runtime.provider.totp.is_confirmed(runtime_user(runtime))
    assert events(runtime, "mfa.failed") == []  # the code was not even checked
