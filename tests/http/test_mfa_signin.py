"""Signing in with a second factor (/login/verify): an authenticator-app code or a recovery
code after the password, what the tokens then say (amr, acr, auth_time), and every wrong
answer. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from gatehouse.accounts.assurance import ACR_MFA, ACR_PASSWORD
from gatehouse.crypto import sha256_digest
from gatehouse.policy import TenantPolicy
from gatehouse.protocol.verification import MAX_FAILURES_PER_SIGN_IN
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from gatehouse.storage.sql import tables as t
from tests.support.cookies import DEVICE_COOKIE
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    FakeClock,
    assert_error_page,
    csrf_from,
    install_clock,
    query_of,
    redeem,
    start_authorize,
    submit_consent,
    submit_login,
)
from tests.support.mfa import code_at, enrol_totp, submit_verify
from tests.support.tokens import token_claims

# The default policy's brute-force protection (docs/lockout.md), which guards each answer.
MAX_DELAY = int(TenantPolicy().login_max_delay.total_seconds())
LOCK_AFTER = TenantPolicy().source_lockout_threshold
LOCK_SECONDS = int(TenantPolicy().lockout_duration.total_seconds())


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime, first_party=True)


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    return install_clock(runtime)


def _to_verify(http: TestClient, **overrides: Any) -> tuple[str, str]:
    """Start a sign-in and give the password; the verification page's location."""
    response, verifier = start_authorize(http, **overrides)
    response = submit_login(http, response.headers["location"])
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/login/verify?interaction="), location
    return location, verifier


def _tokens(
    runtime: Runtime, http: TestClient, web: dict[str, Any], response: Any, verifier: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    location = response.headers["location"]
    if location.startswith("/consent"):
        location = submit_consent(http, location).headers["location"]
    body = redeem(http, query_of(location)["code"], verifier, web).json()
    return token_claims(runtime, body["id_token"]), token_claims(runtime, body["access_token"])


def test_a_password_alone_is_one_factor(runtime: Runtime, http: TestClient, web: Any) -> None:
    response, verifier = start_authorize(http)
    response = submit_login(http, response.headers["location"])
    id_token, access = _tokens(runtime, http, web, response, verifier)
    assert id_token["amr"] == ["pwd"] and id_token["acr"] == ACR_PASSWORD
    assert access["amr"] == ["pwd"] and access["acr"] == ACR_PASSWORD


def test_a_person_with_an_app_gives_its_code_and_the_tokens_say_so(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    secret, _codes = enrol_totp(runtime)
    clock.advance(60)
    location, verifier = _to_verify(http)
    page = http.get(location)
    assert "Code from your authenticator app" in page.text
    assert "Use a recovery code" in page.text
    clock.advance(5)
    response = submit_verify(http, location, code=code_at(secret, clock.now))
    assert response.status_code == 303, response.text
    id_token, access = _tokens(runtime, http, web, response, verifier)
    assert id_token["amr"] == ["pwd", "otp", "mfa"]
    assert id_token["acr"] == ACR_MFA
    # auth_time is when the sign-in was complete: the second factor (OIDC Core §2).
    assert id_token["auth_time"] == clock.now
    # RFC 9068 §2.2.1: the access token carries them for APIs that enforce them.
    assert (access["amr"], access["acr"], access["auth_time"]) == (
        ["pwd", "otp", "mfa"],
        ACR_MFA,
        clock.now,
    )


def test_no_session_exists_before_the_second_factor(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    enrol_totp(runtime)
    _to_verify(http)
    assert "gh_session" not in http.cookies
    with runtime.database.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.sso_sessions)).scalar() == 0


def test_the_browser_becomes_known_once_both_factors_are_given(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    """accounts/known_browsers.py: a browser is spared account-wide locks only after a
    complete sign-in: not after the password alone, and always after the second factor."""
    secret, _codes = enrol_totp(runtime)
    clock.advance(60)
    location, _verifier = _to_verify(http)
    assert DEVICE_COOKIE not in http.cookies  # a password alone makes no browser known
    clock.advance(5)
    response = submit_verify(http, location, code=code_at(secret, clock.now))
    assert response.status_code == 303, response.text
    device = http.cookies.get(DEVICE_COOKIE)
    assert device is not None and f"{DEVICE_COOKIE}=" in response.headers["set-cookie"]
    user = runtime.store.users.find_by_login("alice")
    assert user is not None
    known = runtime.store.known_browsers.is_known(user.id, sha256_digest(device), clock.now)
    assert known
    [event] = runtime.provider.audit.list(AuditQuery(types=("signin.succeeded",)))
    assert event.ip == "testclient" and event.details["methods"] == ["pwd", "otp", "mfa"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({}, "Enter the 6-digit code"),
        ({"code": ""}, "Enter the 6-digit code"),
        ({"code": "12345a"}, "The code is 6 digits"),
        ({"code": "\uff11\uff12\uff13\uff14\uff15\uff16"}, "The code is 6 digits"),  # full-width
        ({"code": "1234567"}, "The code is 6 digits"),
        ({"code": "9" * 4000}, "The code is 6 digits"),
    ],
)
def test_a_malformed_code_gets_a_clear_message(
    runtime: Runtime,
    http: TestClient,
    web: Any,
    clock: FakeClock,
    answer: dict[str, str],
    message: str,
) -> None:
    enrol_totp(runtime)
    location, _ = _to_verify(http)
    response = submit_verify(http, location, **answer)
    assert response.status_code == 400
    assert message in response.text
    assert 'role="alert"' in response.text and 'aria-invalid="true"' in response.text


def test_wrong_replayed_and_expired_codes_are_refused(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    secret, _ = enrol_totp(runtime)
    clock.advance(90)
    location, _ = _to_verify(http)
    wrong = "000000" if code_at(secret, clock.now) != "000000" else "111111"
    for code in (wrong, code_at(secret, clock.now, steps=-2), code_at(secret, clock.now, steps=2)):
        response = submit_verify(http, location, code=code)
        assert response.status_code == 400
        assert "not right, or it was already used" in response.text
    clock.advance(1)  # the third failure from this source makes the next answer wait 1 s
    # One step of drift either way is accepted (RFC 6238 §5.2) ...
    assert submit_verify(http, location, code=code_at(secret, clock.now, -1)).status_code == 303
    # ... and a code once accepted is refused in a later sign-in within its window.
    http.cookies.clear()
    again, _ = _to_verify(http)
    replayed = submit_verify(http, again, code=code_at(secret, clock.now, -1))
    assert replayed.status_code == 400
    assert "already used" in replayed.text
    events = runtime.provider.audit.list(AuditQuery(types=("mfa",)))
    assert [e.type for e in events].count("mfa.failed") == 4
    assert all("code" not in e.details for e in events)


def test_each_recovery_code_works_once(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    _, codes = enrol_totp(runtime)
    location, verifier = _to_verify(http)
    # Typed in capitals, without dashes and with look-alike letters: still the code.
    typed = codes[0].replace("-", " ").upper().replace("0", "O").replace("1", "L")
    response = submit_verify(http, location, method="recovery_code", recovery_code=typed)
    assert response.status_code == 303, response.text
    id_token, _ = _tokens(runtime, http, web, response, verifier)
    assert id_token["amr"] == ["pwd", "otp", "mfa"]
    http.cookies.clear()
    location, _ = _to_verify(http)
    used = submit_verify(http, location, method="recovery_code", recovery_code=codes[0])
    assert used.status_code == 400
    assert (
        submit_verify(http, location, method="recovery_code", recovery_code=codes[1]).status_code
        == 303
    )
    assert (
        runtime.provider.recovery_codes.left(runtime.provider.users.find_by_login("alice").id) == 8
    )  # type: ignore[union-attr]
    types = [e.type for e in runtime.provider.audit.list(AuditQuery(types=("mfa",)))]
    assert types.count("mfa.recovery_code_used") == 2


@pytest.mark.parametrize("code", ["", "short", "zzzz-zzzz-zzzz-zzz!", "a" * 1000])
def test_a_malformed_recovery_code_gets_a_clear_message(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock, code: str
) -> None:
    enrol_totp(runtime)
    location, _ = _to_verify(http)
    response = submit_verify(http, location, method="recovery_code", recovery_code=code)
    assert response.status_code == 400
    assert "recovery code" in response.text.lower()


def test_an_answer_beyond_the_form_limits_is_a_clear_error_page(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    enrol_totp(runtime)
    location, _ = _to_verify(http)
    response = submit_verify(http, location, method="recovery_code", recovery_code="a" * 5000)
    assert_error_page(response, "invalid_request")
    assert "parameter is too long" in response.text


def test_an_unknown_method_is_asked_again(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    enrol_totp(runtime)
    location, _ = _to_verify(http)
    response = submit_verify(http, location, method="carrier-pigeon", code="123456")
    assert response.status_code == 400
    assert "Choose one of the ways below" in response.text


def test_a_sign_in_allows_a_few_wrong_codes_then_starts_again(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    secret, _ = enrol_totp(runtime)
    location, _ = _to_verify(http)
    wrong = "000000" if code_at(secret, clock.now) != "000000" else "111111"
    for _ in range(MAX_FAILURES_PER_SIGN_IN):
        assert submit_verify(http, location, code=wrong).status_code == 400
        clock.advance(MAX_DELAY)
    page = http.get(location)
    response = http.post(
        "/login/verify",
        data={
            "csrf_token": csrf_from(page.text),
            "interaction": query_of(location)["interaction"],
            "method": "totp",
            "code": code_at(secret, clock.now),
        },
    )
    assert_error_page(response, "invalid_request")
    assert "too many wrong codes" in response.text


def test_second_factor_answers_wait_then_lock_across_sign_ins_until_the_lock_expires(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    """Brute-force protection (docs/lockout.md) guards each answer, counted per account
    across sign-ins: growing waits, then a lock for this source that ends on its own."""
    secret, _ = enrol_totp(runtime)
    wrong = "000000" if code_at(secret, clock.now) != "000000" else "111111"
    location, _ = _to_verify(http)
    for _ in range(3):
        assert submit_verify(http, location, code=wrong).status_code == 400
    # The third failure makes the next answer wait: refused before it is checked.
    early = submit_verify(http, location, code=code_at(secret, clock.now))
    assert early.status_code == 429
    assert early.headers["retry-after"] == "1"
    assert "Too many failed attempts. Try again in 1 second." in early.text
    failures = 3
    while failures < LOCK_AFTER:
        if failures % MAX_FAILURES_PER_SIGN_IN == 0:  # this sign-in is spent: a new one
            http.cookies.clear()
            location, _ = _to_verify(http)
        clock.advance(MAX_DELAY)
        assert submit_verify(http, location, code=wrong).status_code == 400
        failures += 1
    [locked] = runtime.provider.audit.list(AuditQuery(types=("signin.locked",)))
    assert locked.details["factor"] == "totp" and locked.details["scope"] == "source"
    assert locked.details["until"] == clock.now + LOCK_SECONDS
    http.cookies.clear()
    location, _ = _to_verify(http)
    clock.advance(MAX_DELAY)
    refused = submit_verify(http, location, code=code_at(secret, clock.now))
    assert refused.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in refused.text
    failed = runtime.provider.audit.list(AuditQuery(types=("signin.failed",)))
    assert len(failed) == LOCK_AFTER and {e.details["factor"] for e in failed} == {"totp"}
    clock.advance(LOCK_SECONDS)  # the lock ends (and the paused sign-in with it)
    http.cookies.clear()
    location, _ = _to_verify(http)
    assert submit_verify(http, location, code=code_at(secret, clock.now)).status_code == 303


def test_the_verification_form_needs_its_csrf_token(
    runtime: Runtime, http: TestClient, web: Any, clock: FakeClock
) -> None:
    secret, _ = enrol_totp(runtime)
    location, _ = _to_verify(http)
    response = http.post(
        "/login/verify",
        data={
            "csrf_token": "forged-token-forged-token",
            "interaction": query_of(location)["interaction"],
            "method": "totp",
            "code": code_at(secret, clock.now),
        },
    )
    assert_error_page(response, "invalid_request", status=403)


def test_the_verification_page_without_a_sign_in_in_progress(
    runtime: Runtime, http: TestClient, web: Any
) -> None:
    assert_error_page(http.get("/login/verify"), "invalid_request")
    assert_error_page(http.get("/login/verify?interaction=" + "x" * 500), "invalid_request")
