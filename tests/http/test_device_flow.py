"""The device authorization grant over HTTP (RFC 8628): the device authorization endpoint,
the device page where the person enters the code, signs in and answers, and the token
endpoint's answers to the polling device."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.protocol.device import DEVICE_CODE_GRANT, USER_CODE_ALPHABET
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.support.account import follow_account_sign_in
from tests.support.cookies import USER_CODE_COOKIE
from tests.support.device import (
    answer,
    confirmation_fields,
    enter_code,
    make_device_client,
    poll,
    start_device,
)
from tests.support.factories import make_client, make_user
from tests.support.flow import FakeClock, csrf_from, install_clock, query_of
from tests.support.tokens import token_claims

NOT_VALID = "That code is not valid."


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    return install_clock(runtime)


@pytest.fixture
def tv(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_device_client(runtime, name="Living-room TV")


def _started(http: TestClient, client: dict[str, Any], **extra: str) -> dict[str, Any]:
    response = start_device(http, client, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _confirmation(http: TestClient, user_code: str) -> Any:
    """Enter the code, sign in as alice when asked; the confirmation page."""
    page = follow_account_sign_in(http, enter_code(http, user_code))
    assert page.status_code == 200, page.text
    assert "Allow this device?" in page.text, page.text
    return page


def _events(runtime: Runtime, type_: str) -> list[Any]:
    return runtime.store.audit.list(AuditQuery(types=(type_,)))


# -- The device authorization endpoint (RFC 8628 §3.1, §3.2) -----------------------------------


def test_the_device_gets_codes_uris_lifetime_and_interval(
    http: TestClient, tv: dict[str, Any]
) -> None:
    response = start_device(http, tv)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "device_code",
        "user_code",
        "verification_uri",
        "verification_uri_complete",
        "expires_in",
        "interval",
    }
    assert re.fullmatch(
        f"[{USER_CODE_ALPHABET}]{{4}}-[{USER_CODE_ALPHABET}]{{4}}", body["user_code"]
    )
    assert body["verification_uri"] == "http://testserver/device"
    assert (
        body["verification_uri_complete"]
        == f"http://testserver/device?user_code={body['user_code']}"
    )
    assert (body["expires_in"], body["interval"]) == (600, 5)
    assert len(body["device_code"]) >= 43


def test_a_confidential_client_authenticates_as_at_the_token_endpoint(
    runtime: Runtime, http: TestClient
) -> None:
    box = make_device_client(runtime, "box", public=False)
    assert start_device(http, box).status_code == 200
    wrong = start_device(http, {**box, "client_secret": "not-the-secret-0123456789abcdef"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"scope": "openid"}, 401, "invalid_client"),  # no client_id at all
        ({"client_id": "nobody", "scope": "openid"}, 401, "invalid_client"),
        ({"client_id": "tv", "scope": "openid email"}, 400, "invalid_scope"),
        ({"client_id": "tv"}, 400, "invalid_scope"),
        (
            {"client_id": "tv", "scope": "openid", "resource": "https://x.example"},
            400,
            "invalid_target",
        ),
    ],
)
def test_bad_device_authorization_requests_get_the_spec_error(
    http: TestClient, tv: dict[str, Any], data: dict[str, str], status: int, error: str
) -> None:
    response = http.post("/device_authorization", data=data)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_a_client_not_registered_for_the_device_grant_is_unauthorized(
    runtime: Runtime, http: TestClient, tv: dict[str, Any]
) -> None:
    web = make_client(runtime, "web")
    response = start_device(http, web)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    assert DEVICE_CODE_GRANT in response.json()["error_description"]
    # Nor may it poll with another client's device code.
    device_code = _started(http, tv)["device_code"]
    polled = poll(http, web, device_code)
    assert polled.json()["error"] == "unauthorized_client"


def test_discovery_advertises_the_endpoint_and_the_grant(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert metadata["device_authorization_endpoint"] == "http://testserver/device_authorization"
    assert DEVICE_CODE_GRANT in metadata["grant_types_supported"]


# -- The whole flow ------------------------------------------------------------------------


def test_the_person_enters_the_code_signs_in_and_approves_then_the_device_gets_tokens(
    runtime: Runtime, http: TestClient, tv: dict[str, Any], clock: FakeClock
) -> None:
    started = _started(http, tv, scope="openid profile offline_access")
    pending = poll(http, tv, started["device_code"])
    assert pending.status_code == 400
    assert pending.json()["error"] == "authorization_pending"

    # verification_uri_complete prefills the form; the person still confirms it.
    form = http.get(f"/device?user_code={started['user_code']}")
    assert form.status_code == 200
    assert f'value="{started["user_code"]}"' in form.text
    signing_in = enter_code(http, started["user_code"].lower().replace("-", " "), form)
    assert signing_in.status_code == 303
    assert query_of(signing_in.headers["location"])["client_id"] == "gatehouse-account"
    assert USER_CODE_COOKIE in signing_in.headers["set-cookie"]
    page = follow_account_sign_in(http, signing_in)
    assert "Allow this device?" in page.text
    assert "Living-room TV" in page.text
    assert started["user_code"] in page.text
    assert "Keep access while you are not using the app" in page.text
    assert "Signed in as <strong>alice</strong>" in page.text

    done = answer(http, page, "approve")
    assert done.status_code == 200
    assert "Device connected" in done.text

    clock.advance(5)
    tokens = poll(http, tv, started["device_code"])
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert set(body) >= {"access_token", "id_token", "refresh_token"}
    assert body["scope"] == "openid profile offline_access"
    claims = token_claims(runtime, body["id_token"])
    user = runtime.store.users.find_by_login("alice")
    assert user is not None and claims["sub"] == user.id and claims["aud"] == "tv"
    assert "sid" not in claims and "nonce" not in claims

    # One-time: the device code is spent.
    again = poll(http, tv, started["device_code"])
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    # Recorded: the consent and the approval.
    consent = runtime.store.consents.get(user.id, "tv")
    assert consent is not None and "offline_access" in consent.scopes
    (event,) = _events(runtime, "device.approved")
    assert event.user_id == user.id and event.client_id == "tv"
    assert event.details == {"scopes": ["openid", "profile", "offline_access"]}
    # The refresh token works like any other.
    refreshed = http.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "client_id": "tv",
        },
    )
    assert refreshed.status_code == 200, refreshed.text


def test_without_offline_access_the_device_gets_no_refresh_token(
    http: TestClient, tv: dict[str, Any]
) -> None:
    """The device shares no SSO session with the browser the person approved on."""
    started = _started(http, tv, scope="profile")
    answer(http, _confirmation(http, started["user_code"]))
    body = poll(http, tv, started["device_code"]).json()
    assert "access_token" in body
    assert "refresh_token" not in body and "id_token" not in body


def test_a_denial_is_access_denied_for_the_device(
    runtime: Runtime, http: TestClient, tv: dict[str, Any]
) -> None:
    started = _started(http, tv)
    done = answer(http, _confirmation(http, started["user_code"]), "deny")
    assert "Access denied" in done.text
    response = poll(http, tv, started["device_code"])
    assert response.status_code == 400
    assert response.json()["error"] == "access_denied"
    assert len(_events(runtime, "device.denied")) == 1
    # The code names no pending request any more.
    assert NOT_VALID in enter_code(http, started["user_code"]).text


def test_a_signed_in_browser_goes_straight_to_the_question_every_time(
    http: TestClient, tv: dict[str, Any]
) -> None:
    """Even after a consent: the code is the only tie between device and browser (§5.4)."""
    first = _started(http, tv)
    answer(http, _confirmation(http, first["user_code"]))
    second = _started(http, tv)
    page = enter_code(http, second["user_code"])
    assert page.status_code == 200
    assert "Allow this device?" in page.text


# -- Polling (RFC 8628 §3.5) -------------------------------------------------------------------


def test_polling_faster_than_the_interval_slows_the_device_down_for_good(
    http: TestClient, tv: dict[str, Any], clock: FakeClock
) -> None:
    device_code = _started(http, tv)["device_code"]
    assert poll(http, tv, device_code).json()["error"] == "authorization_pending"
    clock.advance(4)
    slow = poll(http, tv, device_code).json()
    assert slow["error"] == "slow_down"
    assert "10 seconds" in slow["error_description"]
    clock.advance(5)  # the old interval is not enough any more
    assert poll(http, tv, device_code).json()["error"] == "slow_down"
    clock.advance(15)
    assert poll(http, tv, device_code).json()["error"] == "authorization_pending"


def test_an_expired_device_code_is_expired_token_and_its_user_code_no_longer_works(
    http: TestClient, tv: dict[str, Any], clock: FakeClock
) -> None:
    started = _started(http, tv)
    clock.advance(600)
    response = poll(http, tv, started["device_code"])
    assert response.json()["error"] == "expired_token"
    page = enter_code(http, started["user_code"])
    assert page.status_code == 400
    assert NOT_VALID in page.text


def test_an_approval_after_the_device_code_expired_does_not_count(
    http: TestClient, tv: dict[str, Any], clock: FakeClock
) -> None:
    started = _started(http, tv)
    page = _confirmation(http, started["user_code"])
    clock.advance(600)
    assert NOT_VALID in answer(http, page).text
    assert poll(http, tv, started["device_code"]).json()["error"] == "expired_token"


@pytest.mark.parametrize("device_code", ["made-up", "x" * 2000])
def test_an_unknown_device_code_is_invalid_grant(
    http: TestClient, tv: dict[str, Any], device_code: str
) -> None:
    response = poll(http, tv, device_code)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_another_clients_device_code_is_invalid_grant(
    runtime: Runtime, http: TestClient, tv: dict[str, Any]
) -> None:
    other = make_device_client(runtime, "radio")
    device_code = _started(http, tv)["device_code"]
    response = poll(http, other, device_code)
    assert response.json()["error"] == "invalid_grant"
    assert "another client" in response.json()["error_description"]


def test_a_poll_without_a_device_code_is_invalid_request(
    http: TestClient, tv: dict[str, Any]
) -> None:
    response = http.post("/token", data={"grant_type": DEVICE_CODE_GRANT, "client_id": "tv"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# -- The device page -------------------------------------------------------------------------


def test_guessed_codes_are_throttled_like_passwords(
    runtime: Runtime, http: TestClient, tv: dict[str, Any]
) -> None:
    started = _started(http, tv)
    for _ in range(3):  # login_delay_after_failures
        page = enter_code(http, "BBBB-BBBB")
        assert page.status_code == 400 and NOT_VALID in page.text
    refused = enter_code(http, started["user_code"])
    assert refused.status_code == 429
    assert "Too many failed attempts. Try again in" in refused.text
    assert int(refused.headers["retry-after"]) >= 1
    failed = _events(runtime, "signin.failed")
    assert [e.details for e in failed] == [
        {"reason": "unknown_user_code", "factor": "user_code"}
    ] * 3


def test_what_cannot_be_a_user_code_is_refused_without_counting(
    runtime: Runtime, http: TestClient, tv: dict[str, Any]
) -> None:
    for typed in ("", "AEIOU123", "BBBB-BBBB-BBBB", "<script>"):
        page = enter_code(http, typed)
        assert page.status_code == 400 and NOT_VALID in page.text
        assert "<script>" not in page.text
    assert _events(runtime, "signin.failed") == []


def test_the_forms_need_the_browsers_csrf_token(http: TestClient, tv: dict[str, Any]) -> None:
    started = _started(http, tv)
    http.get("/device")
    response = http.post("/device", data={"user_code": started["user_code"], "action": "continue"})
    assert response.status_code == 403
    assert "This form has expired" in response.text


def test_an_unknown_action_is_a_clear_error(http: TestClient, tv: dict[str, Any]) -> None:
    token = csrf_from(http.get("/device").text)
    response = http.post("/device", data={"csrf_token": token, "action": "maybe"})
    assert response.status_code == 400
    assert "action=continue, approve or deny" in response.text


def test_an_answer_for_someone_else_asks_again(http: TestClient, tv: dict[str, Any]) -> None:
    started = _started(http, tv)
    page = _confirmation(http, started["user_code"])
    data = {**confirmation_fields(page.text), "subject": "someone-else", "action": "approve"}
    again = http.post("/device", data=data)
    assert again.status_code == 200
    assert "Allow this device?" in again.text


def test_cancelling_the_sign_in_goes_back_to_the_form(http: TestClient, tv: dict[str, Any]) -> None:
    started = _started(http, tv)
    signing_in = enter_code(http, started["user_code"])
    login = http.get(signing_in.headers["location"])
    assert login.status_code == 303
    login_page = http.get(login.headers["location"])
    interaction = query_of(login.headers["location"])["interaction"]
    cancelled = http.post(
        "/interaction/cancel",
        data={"csrf_token": csrf_from(login_page.text), "interaction": interaction},
    )
    back = http.get(cancelled.headers["location"])
    assert back.status_code == 303 and back.headers["location"] == "/device"
    form = http.get("/device")
    assert form.status_code == 200 and "Connect a device" in form.text


def test_a_client_that_requires_mfa_asks_for_a_second_factor_first(
    runtime: Runtime, http: TestClient
) -> None:
    make_user(runtime)
    strict = make_device_client(runtime, "kiosk", require_mfa=True)
    started = _started(http, strict)
    follow_account_sign_in(http, http.get("/account"))  # signed in with a password only
    step_up = enter_code(http, started["user_code"])
    assert step_up.status_code == 303
    assert query_of(step_up.headers["location"])["acr_values"] == "urn:gatehouse:acr:mfa"
