"""The second-factor pages in the browser's language (Accept-Language: de): setting up an
authenticator app, the recovery codes, the verification step with its wrong answers and
brute-force protection's wait, /mfa, and /passkeys with what its script is told."""

from __future__ import annotations

import re
from typing import Any

import pytest
from httpx2 import Response
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.authenticator import SoftAuthenticator, add_passkey, post_json
from tests.support.factories import make_client, make_user
from tests.support.flow import (
    FakeClock,
    csrf_from,
    install_clock,
    sign_in,
    start_authorize,
    submit_login,
)
from tests.support.mfa import (
    code_at,
    enrol_totp,
    recovery_codes_on_page,
    submit_enrol,
    submit_verify,
)


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    make_user(runtime)
    return install_clock(runtime)


@pytest.fixture
def german(http: TestClient) -> TestClient:
    http.headers["Accept-Language"] = "de-DE,de;q=0.9,en;q=0.5"
    return http


def _in_german(response: Response, heading: str) -> str:
    assert response.headers["content-language"] == "de"
    assert '<html lang="de">' in response.text
    assert f"<h1>{heading}</h1>" in response.text, response.text
    return response.text


def _alert(html: str) -> str:
    found = re.search(r'<p class="alert" role="alert" id="[a-z-]+">(.*?)</p>', html, re.S)
    assert found is not None, html
    return found.group(1)


def _to_second_step(http: TestClient, client_id: str = "web") -> str:
    response, _ = start_authorize(http, client_id)
    response = submit_login(http, response.headers["location"])
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_setting_up_an_authenticator_app_in_german(
    runtime: Runtime, german: TestClient, clock: FakeClock
) -> None:
    make_client(runtime, name="Bank", require_mfa=True)
    location = _to_second_step(german)
    assert location.startswith("/mfa/totp/enroll?")
    page = _in_german(german.get(location), "Authenticator-App einrichten")
    assert "<strong>Bank</strong> verlangt bei der Anmeldung einen zweiten Schritt." in page
    assert 'aria-label="QR-Code zum Scannen mit Ihrer Authenticator-App"' in page

    wrong = submit_enrol(german, location, clock.now, code="12ab")
    assert wrong.status_code == 400
    assert _alert(_in_german(wrong, "Authenticator-App einrichten")) == (
        "Der Code hat 6 Ziffern, etwa 123456. Geben Sie ihn ohne Buchstaben ein."
    )
    assert 'aria-invalid="true" aria-describedby="enroll-error"' in wrong.text

    done = submit_enrol(german, location, clock.now)
    codes = _in_german(done, "Speichern Sie Ihre Wiederherstellungscodes")
    assert len(recovery_codes_on_page(codes)) == 10
    assert "Ich habe sie gespeichert \u2013 weiter zu Bank" in codes  # an en dash


def test_the_second_step_in_german_with_its_wrong_answers_and_wait(
    runtime: Runtime, german: TestClient, clock: FakeClock
) -> None:
    make_client(runtime, name="Notes", first_party=True)
    secret, _ = enrol_totp(runtime)
    clock.advance(60)
    location = _to_second_step(german)
    page = _in_german(german.get(location), "Bestätigung in zwei Schritten")
    assert "<title>Bestätigung in zwei Schritten · Notes</title>" in page
    assert "um mit <strong>Notes</strong> fortzufahren" in page
    assert '<label for="code">Code aus Ihrer Authenticator-App</label>' in page
    assert "Gerät verloren? Verwenden Sie einen Wiederherstellungscode" in page

    right = code_at(secret, clock.now)
    wrong = next(c for c in ("000000", "111111", "222222") if c != right)
    first = submit_verify(german, location, code=wrong)
    assert first.status_code == 400
    assert _alert(_in_german(first, "Bestätigung in zwei Schritten")) == (
        "Dieser Code ist nicht richtig oder wurde schon verwendet. Versuchen Sie den neuesten Code."
    )
    missing = submit_verify(german, location, method="recovery_code", recovery_code="")
    assert _alert(missing.text) == "Geben Sie einen Ihrer Wiederherstellungscodes ein."
    submit_verify(german, location, code=wrong)
    third = submit_verify(german, location, code=wrong)
    # The third failure: the wrong answer, and the wait the next one will meet.
    assert _alert(third.text) == (
        "Dieser Code ist nicht richtig oder wurde schon verwendet. "
        "Versuchen Sie den neuesten Code. "
        "Zu viele fehlgeschlagene Versuche. Versuchen Sie es in 1 Sekunde erneut."
    )
    refused = submit_verify(german, location, code=right)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
    assert _alert(refused.text) == (
        "Zu viele fehlgeschlagene Versuche. Versuchen Sie es in 1 Sekunde erneut."
    )


def test_looking_after_the_app_in_german(
    runtime: Runtime, german: TestClient, clock: FakeClock
) -> None:
    make_client(runtime, first_party=True)
    sign_in(german)
    status = _in_german(german.get("/mfa"), "Bestätigung in zwei Schritten")
    assert "Authenticator-App einrichten</a>" in status
    csrf = csrf_from(german.get("/mfa/totp/enroll").text)  # no form on /mfa without an app
    refused = german.post("/mfa/recovery-codes", data={"csrf_token": csrf, "code": "123456"})
    assert refused.status_code == 400
    assert _alert(refused.text) == "Richten Sie zuerst eine Authenticator-App ein."

    submit_enrol(german, "/mfa/totp/enroll", clock.now)
    status = german.get("/mfa").text
    assert "Eine Authenticator-App ist eingerichtet. 10 Wiederherstellungscodes übrig." in status
    removed = german.post(
        "/mfa/totp/remove",
        data={"csrf_token": csrf_from(status), "code": "abc"},
    )
    assert _alert(removed.text) == (
        "Ein Wiederherstellungscode hat 16 Buchstaben und Ziffern, etwa 7f3k-q9mx-2c4b-h8vd."
    )


def test_the_passkeys_page_and_its_script_in_german(runtime: Runtime, german: TestClient) -> None:
    make_user(runtime, "alice")
    make_client(runtime)
    sign_in(german)
    page = _in_german(german.get("/passkeys"), "Ihre Passkeys")
    assert "Sie haben noch keine Passkeys." in page
    assert "Dieser Browser kann keine Passkeys erstellen." in page  # the script's words
    assert add_passkey(german, SoftAuthenticator("http://testserver")).status_code == 200
    page = _in_german(german.get("/passkeys?done=added"), "Ihre Passkeys")
    assert '<p class="notice" role="status">Ihr Passkey wurde hinzugefügt.</p>' in page
    assert "Auf einem Gerät · hinzugefügt am " in page and "noch nie verwendet" in page
    assert 'aria-label="Laptop entfernen"' in page

    # What the script is told: the error for developers, and the key of the page's words.
    refused: dict[str, Any] = post_json(
        german, "/passkeys/options", {"csrf_token": csrf_from(page), "name": "x" * 65}
    ).json()
    assert refused["error"] == "invalid_request"
    assert refused["error_description"] == "give the passkey a name of 1 to 64 characters"
    assert refused["problem"] == "name_length"
    assert "Geben Sie dem Passkey einen Namen mit 1 bis 64 Zeichen." in page
