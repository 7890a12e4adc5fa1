"""Setting up an authenticator app: walked through it during a sign-in that needs a second
factor (the tenant's policy, or a client registered with require_mfa), or from a live
session (/mfa), and looking after it there: new recovery codes, removal. Every form's CSRF
token and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.accounts.assurance import ACR_MFA
from gatehouse.admin.policy import set_policy
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.support.cookies import DEVICE_COOKIE
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    FakeClock,
    assert_error_page,
    csrf_from,
    install_clock,
    query_of,
    redeem,
    sign_in,
    start_authorize,
    submit_consent,
    submit_login,
)
from tests.support.mfa import (
    code_at,
    enrol_totp,
    recovery_codes_on_page,
    secret_on_page,
    submit_enrol,
)
from tests.support.tokens import token_claims


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    make_user(runtime)
    return install_clock(runtime)


def _walk_through_enrolment(
    runtime: Runtime, http: TestClient, client: dict[str, Any], clock: FakeClock
) -> dict[str, Any]:
    """Sign in to ``client``: password, the enrolment page, the recovery codes, then on to
    the application. The ID token's claims."""
    response, verifier = start_authorize(http, client["client_id"])
    response = submit_login(http, response.headers["location"])
    location = response.headers["location"]
    assert location.startswith("/mfa/totp/enroll?interaction="), location
    page = http.get(location)
    assert "Set up an authenticator app" in page.text and "<svg" in page.text
    clock.advance(3)
    done = submit_enrol(http, location, clock.now)
    assert done.status_code == 200, done.text
    codes = recovery_codes_on_page(done.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "gh_session" in http.cookies  # signed in with both factors
    continue_to = f"/consent?interaction={query_of(location)['interaction']}"
    assert f'href="{continue_to}"' in done.text
    follow = http.get(continue_to)
    if follow.status_code == 200:
        follow = submit_consent(http, continue_to)
    params = query_of(follow.headers["location"])
    body = redeem(http, params["code"], verifier, client).json()
    return token_claims(runtime, body["id_token"])


def test_required_for_everyone_walks_a_person_through_enrolment(
    runtime: Runtime, http: TestClient, clock: FakeClock
) -> None:
    set_policy(runtime, ("mfa=required",), ())
    client = make_client(runtime)
    claims = _walk_through_enrolment(runtime, http, client, clock)
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == ACR_MFA
    events = [e.type for e in runtime.provider.audit.list(AuditQuery(types=("mfa",)))]
    assert events == ["mfa.enrolled"]
    # Signed in with both factors: the address is recorded, the browser is now known.
    [signed_in] = runtime.provider.audit.list(AuditQuery(types=("signin.succeeded",)))
    assert signed_in.ip == "testclient"
    assert DEVICE_COOKIE in http.cookies
    # The next sign-in asks for the code, not for enrolment.
    http.cookies.clear()
    response, _ = start_authorize(http)
    response = submit_login(http, response.headers["location"])
    assert response.headers["location"].startswith("/login/verify?")


def test_required_for_one_client_only(runtime: Runtime, http: TestClient, clock: FakeClock) -> None:
    make_client(runtime, "other", first_party=True)
    strict = make_client(runtime, "strict", require_mfa=True)
    assert strict["require_mfa"] is True
    assert "code" in sign_in(http, "other").params  # a password is enough here
    claims = _walk_through_enrolment(runtime, http, strict, clock)
    assert claims["acr"] == ACR_MFA


def test_enrolment_from_a_live_session_and_the_management_page(
    runtime: Runtime, http: TestClient, clock: FakeClock
) -> None:
    make_client(runtime, first_party=True)
    sign_in(http)
    status = http.get("/mfa")
    assert status.status_code == 200 and "Set up an authenticator app" in status.text
    done = submit_enrol(http, "/mfa/totp/enroll", clock.now)
    assert done.status_code == 200, done.text
    codes = recovery_codes_on_page(done.text)
    assert len(codes) == 10 and 'href="/mfa"' in done.text
    status = http.get("/mfa")
    assert "10 recovery codes left" in status.text
    # New recovery codes, given a current code from the app.
    secret = _secret_of(runtime)
    clock.advance(30)
    renewed = http.post(
        "/mfa/recovery-codes",
        data={"csrf_token": csrf_from(status.text), "code": code_at(secret, clock.now)},
    )
    new_codes = recovery_codes_on_page(renewed.text)
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    # Removal, proved with a recovery code.
    removed = http.post(
        "/mfa/totp/remove", data={"csrf_token": csrf_from(status.text), "code": new_codes[0]}
    )
    assert removed.status_code == 200 and "was removed" in removed.text
    types = [e.type for e in runtime.provider.audit.list(AuditQuery(types=("mfa",)))]
    assert types == [
        "mfa.removed",
        "mfa.succeeded",
        "mfa.recovery_codes_renewed",
        "mfa.succeeded",
        "mfa.enrolled",
    ]


def _secret_of(runtime: Runtime) -> str:
    user = runtime.provider.users.find_by_login("alice")
    assert user is not None
    found = runtime.provider.second_factors.totp(user.id)
    assert found is not None
    return runtime.keys.encryptor.decrypt(found.secret_encrypted, kid=f"totp:{user.id}").decode()


def test_the_secret_is_encrypted_at_rest_and_shown_the_same_until_confirmed(
    runtime: Runtime, http: TestClient, clock: FakeClock
) -> None:
    make_client(runtime, first_party=True)
    sign_in(http)
    first = secret_on_page(http.get("/mfa/totp/enroll").text)
    assert secret_on_page(http.get("/mfa/totp/enroll").text) == first
    user = runtime.provider.users.find_by_login("alice")
    assert user is not None
    stored = runtime.provider.second_factors.totp(user.id)
    assert stored is not None and first.encode() not in stored.secret_encrypted
    assert stored.confirmed_at is None
    assert not runtime.provider.totp.enrolled(user.id)  # not before a first code


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the 6-digit code"),
        ("abcdef", "The code is 6 digits"),
        ("1" * 300, "The code is 6 digits"),
        ("000000", "That code is not right"),
    ],
)
def test_a_bad_enrolment_code_gets_a_clear_message(
    runtime: Runtime, http: TestClient, clock: FakeClock, code: str, message: str
) -> None:
    make_client(runtime, first_party=True)
    sign_in(http)
    page = http.get("/mfa/totp/enroll")
    if code == "000000" and code_at(secret_on_page(page.text), clock.now) == code:
        code = "111111"
    response = http.post(
        "/mfa/totp/enroll", data={"csrf_token": csrf_from(page.text), "code": code}
    )
    assert response.status_code == 400
    assert message in response.text and 'role="alert"' in response.text


@pytest.mark.parametrize("path", ["/mfa/totp/enroll", "/mfa/recovery-codes", "/mfa/totp/remove"])
def test_every_form_needs_its_csrf_token(
    runtime: Runtime, http: TestClient, clock: FakeClock, path: str
) -> None:
    make_client(runtime, first_party=True)
    sign_in(http)
    enrol_totp(runtime)
    response = http.post(path, data={"csrf_token": "forged-forged-forged-forged", "code": "1"})
    assert_error_page(response, "invalid_request", status=403)
    assert runtime.provider.totp.is_confirmed(runtime.provider.users.find_by_login("alice").id)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/mfa", "get"),
        ("/mfa/totp/enroll", "get"),
        ("/mfa/totp/enroll", "post"),
        ("/mfa/recovery-codes", "post"),
        ("/mfa/totp/remove", "post"),
    ],
)
def test_the_pages_need_a_signed_in_person(
    runtime: Runtime, http: TestClient, clock: FakeClock, path: str, method: str
) -> None:
    if method == "get":
        response = http.get(path)
    else:
        token = "a-valid-csrf-token-of-this-browser"
        http.cookies.set("gh_csrf", token)
        response = http.post(path, data={"csrf_token": token, "code": "123456"})
    assert_error_page(response, "invalid_request")
    assert "not signed in" in response.text


def test_a_wrong_code_does_not_remove_the_app(
    runtime: Runtime, http: TestClient, clock: FakeClock
) -> None:
    make_client(runtime, first_party=True)
    sign_in(http)
    secret, _ = enrol_totp(runtime)
    status = http.get("/mfa")
    wrong = "000000" if code_at(secret, clock.now) != "000000" else "111111"
    for code, message in ((wrong, "not right"), ("12ab", "recovery code"), ("", "recovery code")):
        response = http.post(
            "/mfa/totp/remove", data={"csrf_token": csrf_from(status.text), "code": code}
        )
        assert response.status_code == 400 and message in response.text.lower()
    assert runtime.provider.totp.is_confirmed(runtime.provider.users.find_by_login("alice").id)  # type: ignore[union-attr]


def test_a_second_app_cannot_be_set_up_over_the_first(
    runtime: Runtime, http: TestClient, clock: FakeClock
) -> None:
    make_client(runtime, first_party=True)
    sign_in(http)
    enrol_totp(runtime)
    response = http.get("/mfa/totp/enroll")
    assert_error_page(response, "invalid_request")
    assert "already set up" in response.text


def test_codes_at_the_management_page_are_under_brute_force_protection(
    runtime: Runtime, http: TestClient, clock: FakeClock
) -> None:
    """Wrong codes given at /mfa count as at sign-in (docs/lockout.md): after three, the
    next code waits, refused before it is checked, even a right one."""
    make_client(runtime, first_party=True)
    sign_in(http)
    secret, _ = enrol_totp(runtime)
    status = http.get("/mfa")
    wrong = "000000" if code_at(secret, clock.now) != "000000" else "111111"

    def renew(code: str) -> Any:
        return http.post(
            "/mfa/recovery-codes", data={"csrf_token": csrf_from(status.text), "code": code}
        )

    for _ in range(3):
        answered = renew(wrong)
        assert answered.status_code == 400 and "not right" in answered.text
    refused = renew(code_at(secret, clock.now))
    # RFC 6585 §4, as at /login/verify: refused before it was checked.
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert "Too many failed attempts. Try again in 1 second." in refused.text
    assert recovery_codes_on_page(refused.text) == []
    failed = runtime.provider.audit.list(AuditQuery(types=("signin.failed",)))
    assert [e.details["factor"] for e in failed] == ["totp"] * 3
    clock.advance(30)  # past the wait, and a code the app has not shown before
    renewed = renew(code_at(secret, clock.now))
    assert len(recovery_codes_on_page(renewed.text)) == 10, renewed.text
