"""Step-up (OIDC Core §3.1.2.1 acr_values, docs/step-up.md): a client asks for a stronger
sign-in than the session's, and the person gives only the missing factor; prompt=none,
classes nobody can reach, max_age, and discovery."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.accounts.assurance import ACR_MFA, ACR_PASSWORD, SUPPORTED_ACR_VALUES
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    FakeClock,
    assert_error_redirect,
    install_clock,
    query_of,
    redeem,
    sign_in,
    start_authorize,
)
from tests.support.mfa import code_at, enrol_totp, submit_verify
from tests.support.tokens import token_claims


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime, first_party=True)


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    return install_clock(runtime)


def _password_session(runtime: Runtime, http: TestClient, clock: FakeClock) -> str:
    """A session signed in with a password only (the app was set up afterwards); the
    secret of the app."""
    sign_in(http)
    secret, _ = enrol_totp(runtime)
    return secret


def test_acr_values_upgrades_a_password_session_asking_only_the_second_factor(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    secret = _password_session(runtime, http, clock)
    signed_in_at = clock.now
    clock.advance(300)
    response, verifier = start_authorize(http, acr_values=ACR_MFA)
    location = response.headers["location"]
    assert location.startswith("/login/verify?"), location  # no password asked
    page = http.get(location)
    assert "asks you to confirm it is you" in page.text
    response = submit_verify(http, location, code=code_at(secret, clock.now))
    params = query_of(response.headers["location"])
    body = redeem(http, params["code"], verifier, web).json()
    claims = token_claims(runtime, body["id_token"])
    assert claims["acr"] == ACR_MFA
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    # auth_time moves to the step-up: the person authenticated then (docs/step-up.md).
    assert claims["auth_time"] == clock.now > signed_in_at
    assert [e.type for e in runtime.provider.audit.list(AuditQuery(types=("mfa",)))] == [
        "mfa.step_up"
    ]
    # The session itself was upgraded: the same request now needs nothing more.
    response, _ = start_authorize(http, acr_values=ACR_MFA)
    assert "code" in query_of(response.headers["location"])


def test_the_token_reports_the_first_class_asked_for_that_was_reached(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    sign_in(http)
    response, verifier = start_authorize(http, acr_values=f"phr {ACR_PASSWORD} unknown:value")
    params = query_of(response.headers["location"])
    claims = token_claims(runtime, redeem(http, params["code"], verifier, web).json()["id_token"])
    assert claims["acr"] == ACR_PASSWORD


def test_unknown_acr_values_are_voluntary_and_ignored(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    sign_in(http)
    response, _ = start_authorize(http, acr_values="urn:example:gold " + "x" * 300)
    assert "code" in query_of(response.headers["location"])


def test_prompt_none_cannot_step_up(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    _password_session(runtime, http, clock)
    response, _ = start_authorize(http, acr_values=ACR_MFA, prompt="none", state="s1")
    params = assert_error_redirect(response, "login_required", state="s1")
    assert "prompt=none" in params["error_description"]


def test_a_class_no_method_of_the_person_reaches_is_unmet(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    _password_session(runtime, http, clock)
    response, _ = start_authorize(http, acr_values="phr", state="s2")
    assert_error_redirect(response, "unmet_authentication_requirements", state="s2")


def test_step_up_for_a_person_without_a_second_factor_sets_one_up(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    sign_in(http)
    response, _ = start_authorize(http, acr_values=ACR_MFA)
    assert response.headers["location"].startswith("/mfa/totp/enroll?interaction=")


def test_max_age_still_asks_for_the_password_and_then_the_second_factor(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    _password_session(runtime, http, clock)
    clock.advance(120)
    response, _ = start_authorize(http, max_age="60")
    assert response.headers["location"].startswith("/login?")


def test_a_session_that_ended_during_step_up_signs_in_again(
    runtime: Runtime, http: TestClient, web: dict[str, Any], clock: FakeClock
) -> None:
    secret = _password_session(runtime, http, clock)
    response, _ = start_authorize(http, acr_values=ACR_MFA)
    location = response.headers["location"]
    page = http.get(location)
    http.cookies.delete("gh_session")
    response = http.post(
        "/login/verify",
        data={
            "csrf_token": page.text.split('name="csrf_token" value="')[1].split('"')[0],
            "interaction": query_of(location)["interaction"],
            "method": "totp",
            "code": code_at(secret, clock.now),
        },
    )
    assert response.headers["location"].startswith("/login?"), response.headers["location"]


def test_discovery_lists_the_acr_values(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert metadata["acr_values_supported"] == list(SUPPORTED_ACR_VALUES)
    assert metadata["acr_values_supported"][:2] == [ACR_PASSWORD, ACR_MFA]
