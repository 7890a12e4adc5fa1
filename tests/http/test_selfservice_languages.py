"""The self-service pages and their email in the person's language (docs/translations.md):
the sign-in's ui_locales when the person came from a login page, else the browser's
Accept-Language. An email is written in the language of the page whose form made it, when
it is queued."""

from __future__ import annotations

import re

import pytest
from httpx import Response
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.http.selfservice import (
    NEW_PASSWORD,
    deliver,
    local,
    only_message,
    register,
    settings,  # noqa: F401 - the fixture that sends email to the loopback server
    submit,
    switched_on,  # noqa: F401 - a fixture
)
from tests.support.factories import make_client, make_user
from tests.support.flow import csrf_from, install_clock, query_of, start_authorize
from tests.support.smtp import Mailbox, html_of, link_in, text_of

pytestmark = pytest.mark.usefixtures("switched_on")

GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}


def _in_german(page: Response, heading: str) -> None:
    assert page.headers["content-language"] == "de"
    assert '<html lang="de">' in page.text
    assert f"<h1>{heading}</h1>" in page.text


def _token_of(page: Response) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def test_a_german_registration_gets_german_pages_and_a_german_email(
    http: TestClient, runtime: Runtime, smtp: Mailbox
) -> None:
    http.headers.update(GERMAN)
    form = http.get("/register")
    _in_german(form, "Konto erstellen")
    assert '<label for="username">Benutzername</label>' in form.text
    assert "Mindestens 8 Zeichen." in form.text

    sent = register(http)
    _in_german(sent, "Sehen Sie in Ihr Postfach")
    assert "er ist 1 Tag lang gültig" in sent.text

    deliver(runtime)
    message = only_message(smtp, "carol@example.com")
    assert message["Subject"] == "Bestätigen Sie Ihre E-Mail-Adresse"
    text, html = text_of(message), html_of(message)
    assert text.startswith("Hallo carol,") and "1 Tag lang gültig" in text
    assert "Diese Nachricht wurde von http://testserver gesendet." in text
    assert '<html lang="de">' in html and "Meine E-Mail-Adresse bestätigen</a>" in html

    confirm = http.get(local(link_in(message, "/verify-email")))
    _in_german(confirm, "Bestätigen Sie Ihre E-Mail-Adresse")
    data = {"csrf_token": csrf_from(confirm.text), "token": _token_of(confirm)}
    _in_german(http.post("/verify-email", data=data), "E-Mail-Adresse bestätigt")
    used = http.post("/verify-email", data=data)
    assert used.status_code == 410
    _in_german(used, "Dieser Link wurde bereits verwendet")


def test_form_errors_in_german_are_tied_to_their_fields(http: TestClient, runtime: Runtime) -> None:
    http.headers.update(GERMAN)
    page = register(http, username="carol@home", email="carol@", password="short")
    assert page.status_code == 400
    _in_german(page, "Konto erstellen")
    assert "Bitte korrigieren Sie die 3 unten markierten Felder." in page.text
    for field, message in (
        (
            "username",
            "Ein Benutzername darf kein @ enthalten; Ihre E-Mail-Adresse gehört in ihr eigenes "
            "Feld.",
        ),
        ("email", "Geben Sie eine E-Mail-Adresse wie name@example.com ein."),
        ("password", "Ein Passwort muss mindestens 8 Zeichen lang sein."),
    ):
        assert f'<p class="field-error" id="{field}-error">{message}</p>' in page.text
        assert re.search(rf'<input id="{field}"[^>]* aria-invalid="true"', page.text)
    one = register(http, password="password1")
    assert "Bitte korrigieren Sie das unten markierte Feld." in one.text
    assert "gehört zu den am häufigsten verwendeten" in one.text
    make_user(runtime, "alice")
    taken = register(http, username="alice")
    assert "Dieser Benutzername ist vergeben; wählen Sie einen anderen." in taken.text


@pytest.mark.parametrize(
    ("fields", "english"),
    [
        ({"username": "a" * 65}, "A username is at most 64 characters long."),
        ({"name": "n" * 256}, "A name is at most 255 characters long."),
        (
            {"password": "carol@example.com"},
            "A password must not be the username or email address.",
        ),
        ({"password": "z" * 1025}, "A password must be at most 1024 characters long."),
    ],
)
def test_the_english_messages_stay_as_they_were(
    http: TestClient, fields: dict[str, str], english: str
) -> None:
    page = register(http, **fields)
    assert page.status_code == 400 and english in page.text
    assert page.headers["content-language"] == "en"


def test_the_sign_in_languages_come_before_the_browsers(
    http: TestClient, runtime: Runtime, smtp: Mailbox
) -> None:
    """An application that asked for German (ui_locales, OIDC Core §3.1.2.1) gets German
    registration pages and email, even from an English browser."""
    make_client(runtime)
    http.headers["Accept-Language"] = "en"
    response, _ = start_authorize(http, ui_locales="de")
    interaction = query_of(response.headers["location"])["interaction"]
    login = http.get(response.headers["location"])
    assert f"/register?interaction={interaction}" in login.text
    assert f"/password/forgot?interaction={interaction}" in login.text

    form = http.get("/register", params={"interaction": interaction})
    _in_german(form, "Konto erstellen")
    sent = register_from(http, form, interaction)
    _in_german(sent, "Sehen Sie in Ihr Postfach")
    assert f'href="/login?interaction={interaction}">Weiter zur Anmeldung</a>' in sent.text
    deliver(runtime)
    assert only_message(smtp, "carol@example.com")["Subject"] == (
        "Bestätigen Sie Ihre E-Mail-Adresse"
    )

    make_user(runtime, "alice")
    forgot = http.get("/password/forgot", params={"interaction": interaction})
    _in_german(forgot, "Passwort vergessen?")
    data = {"csrf_token": csrf_from(forgot.text), "interaction": interaction}
    _in_german(
        http.post("/password/forgot", data=data | {"email": "alice@example.com"}),
        ("Sehen Sie in Ihr Postfach"),
    )
    deliver(runtime)
    assert only_message(smtp, "alice@example.com")["Subject"] == "Setzen Sie Ihr Passwort zurück"


def register_from(http: TestClient, form: Response, interaction: str) -> Response:
    data = {
        "csrf_token": csrf_from(form.text),
        "interaction": interaction,
        "username": "carol",
        "email": "carol@example.com",
        "password": "carol's long passphrase",
    }
    return http.post("/register", data=data)


@pytest.mark.parametrize(
    "interaction", ["x" * 43, "unknown-but-well-formed-interaction-id"], ids=["unknown", "other"]
)
def test_an_unknown_sign_in_falls_back_to_the_browser(http: TestClient, interaction: str) -> None:
    page = http.get("/register", params={"interaction": interaction}, headers=GERMAN)
    assert page.status_code == 200
    _in_german(page, "Konto erstellen")


def test_a_sign_in_of_another_browser_lends_it_no_language(
    http: TestClient, runtime: Runtime
) -> None:
    make_client(runtime)
    response, _ = start_authorize(http, ui_locales="de")
    interaction = query_of(response.headers["location"])["interaction"]
    http.cookies.clear()  # another browser: the interaction is bound to the first one's
    page = http.get("/register", params={"interaction": interaction})
    assert page.status_code == 200 and page.headers["content-language"] == "en"


def test_a_german_password_reset(http: TestClient, runtime: Runtime, smtp: Mailbox) -> None:
    make_user(runtime, "alice")
    clock = install_clock(runtime)
    http.headers.update(GERMAN)
    sent = submit(http, "/password/forgot", "/password/forgot", email="alice@example.com")
    _in_german(sent, "Sehen Sie in Ihr Postfach")
    assert "Der Link ist 30 Minuten lang gültig." in sent.text
    deliver(runtime)
    message = only_message(smtp, "alice@example.com")
    assert message["Subject"] == "Setzen Sie Ihr Passwort zurück"
    assert "Der Link funktioniert einmal und ist 30 Minuten lang gültig." in text_of(message)
    link = local(link_in(message, "/password/reset"))

    form = http.get(link)
    _in_german(form, "Neues Passwort wählen")
    data = {"csrf_token": csrf_from(form.text), "token": _token_of(form)}
    weak = http.post("/password/reset", data=data | {"password": "12345678"})
    assert weak.status_code == 400 and "am häufigsten verwendeten" in weak.text
    done = http.post("/password/reset", data=data | {"password": NEW_PASSWORD})
    _in_german(done, "Passwort geändert")
    deliver(runtime)
    changed = smtp.to("alice@example.com")[-1]
    assert changed["Subject"] == "Ihr Passwort wurde geändert"
    assert "Sie wurden überall abgemeldet" in text_of(changed)

    used = http.get(link)
    assert used.status_code == 410
    _in_german(used, "Dieser Link wurde bereits verwendet")
    assert '<a href="/password/forgot">Passwort vergessen?</a>' in used.text
    clock.advance(3600)
    invalid = http.get("/password/reset", params={"token": "nope"})
    assert invalid.status_code == 400
    _in_german(invalid, "Dieser Link ist ungültig")


def test_the_email_to_an_address_in_use_is_in_the_language_of_the_form(
    http: TestClient, runtime: Runtime, smtp: Mailbox
) -> None:
    make_user(runtime, "alice")
    http.headers.update(GERMAN)
    register(http, email="alice@example.com")
    deliver(runtime)
    message = only_message(smtp, "alice@example.com")
    assert message["Subject"] == (
        "Jemand hat versucht, mit Ihrer E-Mail-Adresse ein Konto zu erstellen"
    )
    assert "Ihrem Konto „alice“" in text_of(message)
    assert "Ihrem Konto <strong>alice</strong>" in html_of(message)
    assert "http://testserver/password/forgot" in text_of(message)


def test_too_many_requests_in_german(http: TestClient, runtime: Runtime) -> None:
    http.headers.update(GERMAN)
    for n in range(20):
        register(http, username=f"user{n}", email=f"user{n}@example.com")
    page = register(http, username="one-more", email="one-more@example.com")
    assert page.status_code == 429
    _in_german(page, "Zu viele Anfragen")
