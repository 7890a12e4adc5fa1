"""The account page in the browser's language (Accept-Language: the page belongs to no
application's request, so there is no ui_locales), its refusals worded and tied to their
fields, and the tenant's password policy applied to a password change."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin.policy import set_policy
from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.account import follow_account_sign_in, post_account
from tests.support.factories import PASSWORD, make_user
from tests.support.flow import install_clock, query_of

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def alice(runtime: Runtime) -> dict[str, Any]:
    return make_user(runtime)


@pytest.fixture
def german(http: TestClient) -> TestClient:
    """A browser whose language is German."""
    http.headers.update(GERMAN)
    return http


def _open(http: TestClient) -> Any:
    page = follow_account_sign_in(http, http.get("/account"))
    assert page.status_code == 200, page.text
    return page


def _input(page: Any, name: str) -> str:
    found = re.search(rf'<input id="{name}"[^>]*>', page.text)
    assert found is not None, page.text
    return found.group(0)


def test_a_german_browser_gets_the_account_page_in_german(
    runtime: Runtime, german: TestClient, alice: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    # Later than the user was made: a password changed after a sign-in voids it.
    clock.now = int(datetime(2030, 3, 9, 8, 5, tzinfo=UTC).timestamp())
    page = _open(german)
    assert page.headers["content-language"] == "de"
    assert '<html lang="de">' in page.text
    assert "<title>Ihr Konto · gatehouse</title>" in page.text
    assert "<h1>Ihr Konto</h1>" in page.text
    assert "Angemeldet als <strong>alice</strong> (alice@example.com)" in page.text
    for heading in ("Profil", "Sicherheit", "Passwort", "Passkeys", "Wo Sie angemeldet sind"):
        assert f'-heading">{heading}</h' in page.text, heading
    assert '<nav aria-label="Auf dieser Seite"' in page.text
    assert '<label for="given_name">Vorname</label>' in page.text
    assert "Mindestens 8 Zeichen." in page.text
    # The session: when and how, as German writes a time, in UTC.
    assert "Angemeldet am 09.03.2030, 08:05 UTC mit Passwort" in page.text
    assert "zuletzt gesehen am 09.03.2030, 08:05 UTC" in page.text
    assert "Dieser Browser" in page.text and ">Hier abmelden<" in page.text
    assert "Keine Anwendung hat Offline-Zugriff." in page.text
    assert "Authenticator-App einrichten" in page.text
    assert "Signed in" not in page.text and "Your account" not in page.text


def test_english_stays_the_default(http: TestClient, alice: dict[str, Any]) -> None:
    page = _open(http)
    assert page.headers["content-language"] == "en"
    assert "<h1>Your account</h1>" in page.text and "with password" in page.text


def test_what_a_finished_action_says_is_in_german(
    german: TestClient, alice: dict[str, Any]
) -> None:
    page = _open(german)
    saved = post_account(german, "/account/profile", page, name="Alice Liddell")
    assert saved.status_code == 303
    shown = german.get(saved.headers["location"])
    assert '<p class="notice" role="status">Ihr Profil wurde gespeichert.</p>' in shown.text


def test_a_refused_password_says_why_in_german_at_its_field(
    german: TestClient, alice: dict[str, Any]
) -> None:
    page = _open(german)
    response = post_account(
        german,
        "/account/password",
        page,
        current_password=PASSWORD,
        new_password="short",
        confirm_password="short",
    )
    assert response.status_code == 400
    assert (
        '<p class="alert" role="alert" id="password-error">'
        "Ein Passwort muss mindestens 8 Zeichen lang sein.</p>"
    ) in response.text
    field = _input(response, "new_password")
    assert 'aria-invalid="true"' in field and "autofocus" in field
    assert 'aria-describedby="password-error new-password-rule"' in field
    assert "aria-invalid" not in _input(response, "current_password")


@pytest.mark.parametrize(
    ("current", "new", "confirmation", "field", "message"),
    [
        ("wrong", NEW_PASSWORD, NEW_PASSWORD, "current_password", "nicht korrekt"),
        (PASSWORD, NEW_PASSWORD, "other", "confirm_password", "stimmen nicht überein"),
        (PASSWORD, "password123", "password123", "new_password", "am häufigsten verwendeten"),
    ],
)
def test_each_password_refusal_marks_the_field_it_is_about(
    german: TestClient,
    alice: dict[str, Any],
    current: str,
    new: str,
    confirmation: str,
    field: str,
    message: str,
) -> None:
    page = _open(german)
    response = post_account(
        german,
        "/account/password",
        page,
        current_password=current,
        new_password=new,
        confirm_password=confirmation,
    )
    assert response.status_code == 400 and message in response.text
    assert 'aria-invalid="true"' in _input(response, field)
    assert 'value="' not in _input(response, field)  # a password is never shown again


def test_the_tenants_password_policy_applies_on_the_account_page(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    """As at registration and reset: the tenant's minimum, and not the username or email."""
    set_policy(runtime, ("password_min_length=12",), ())
    page = _open(http)
    assert 'minlength="12"' in _input(page, "new_password")
    assert "At least 12 characters." in page.text
    for weak, said in [
        ("k7#pq2!xyz", "A password must be at least 12 characters long."),
        ("alice@example.com", "A password must not be the username or email address."),
    ]:
        response = post_account(
            http,
            "/account/password",
            page,
            current_password=PASSWORD,
            new_password=weak,
            confirm_password=weak,
        )
        assert response.status_code == 400 and said in response.text, weak
    user = runtime.store.users.get(alice["id"])
    assert user is not None and runtime.passwords.verify(user.password_hash, PASSWORD)


def test_a_refused_profile_keeps_what_was_typed_and_says_why_in_german(
    runtime: Runtime, german: TestClient, alice: dict[str, Any]
) -> None:
    page = _open(german)
    response = post_account(
        german, "/account/profile", page, name="Alice", family_name="L" * 300, given_name="Al"
    )
    assert response.status_code == 400
    assert (
        "Nicht gespeichert: Der Nachname ist zu lang. Verwenden Sie höchstens 255 Zeichen."
    ) in response.text
    family = _input(response, "family_name")
    assert 'aria-invalid="true"' in family and 'aria-describedby="profile-error"' in family
    assert 'value="' + "L" * 300 + '"' in family
    assert 'value="Al"' in _input(response, "given_name")
    assert "aria-invalid" not in _input(response, "given_name")
    user = runtime.store.users.get(alice["id"])
    assert user is not None and user.family_name is None


def test_a_refused_session_sign_out_says_so_in_german(
    german: TestClient, alice: dict[str, Any]
) -> None:
    page = _open(german)
    response = post_account(german, "/account/sessions/end", page, sid="not-a-session")
    assert response.status_code == 404
    assert "Diese Sitzung ist bereits beendet oder gehört nicht Ihnen." in response.text


def test_a_cancelled_sign_in_says_so_in_german(german: TestClient, alice: dict[str, Any]) -> None:
    start = german.get("/account")
    state = query_of(start.headers["location"])["state"]
    response = german.get(
        "/account/callback",
        params={"error": "access_denied", "state": state, "iss": ISSUER},
    )
    assert response.status_code == 403, response.text
    assert "<h1>Sie haben sich nicht angemeldet</h1>" in response.text
    assert "Bei Ihrem Konto anmelden" in response.text
