"""The sign-in, consent and signed-out pages in German: chosen by the browser's
Accept-Language or the application's ui_locales (OIDC Core §3.1.2.1, RP-Initiated Logout
1.0 §2); the refusal's wait worded with the language's plurals; gatehouse's own words for
the standard scopes translated, an operator's scope description shown as typed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin.scopes import upsert_scope
from gatehouse.policy import TenantPolicy
from gatehouse.runtime import Runtime
from tests.support.factories import PASSWORD, make_client, make_user
from tests.support.flow import get_tokens, install_clock, start_authorize, submit_login

APP = "Acme <Notes>"
SHOWN_APP = "Acme &lt;Notes&gt;"  # escaped inside the translated sentences
WRONG = "Der Benutzername oder das Passwort ist nicht korrekt."
TOO_MANY = "Zu viele fehlgeschlagene Versuche. Versuchen Sie es in"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    upsert_scope(runtime, "reports:read", "Read your monthly reports")
    return make_client(runtime, name=APP, scopes=["openid", "profile", "email", "reports:read"])


def _german(response: Any) -> str:
    assert '<html lang="de">' in response.text
    assert response.headers["content-language"] == "de"
    text: str = response.text
    return text


def _login_location(http: TestClient, **overrides: Any) -> str:
    response, _ = start_authorize(http, **overrides)
    location: str = response.headers["location"]
    assert location.startswith("/login?"), location
    return location


def test_the_login_page_in_the_browsers_language(http: TestClient, web: dict[str, Any]) -> None:
    http.headers["Accept-Language"] = "de-DE,de;q=0.9,en;q=0.8"
    page = _german(http.get(_login_location(http)))
    assert f"<title>Anmelden · {SHOWN_APP}</title>" in page
    assert "<h1>Anmelden</h1>" in page
    assert f"um mit <strong>{SHOWN_APP}</strong> fortzufahren" in page
    assert '<label for="login">Benutzername oder E-Mail-Adresse</label>' in page
    assert '<label for="password">Passwort</label>' in page
    assert '<label for="remember_me">Angemeldet bleiben</label>' in page
    assert '<button type="submit" class="primary">Anmelden</button>' in page
    assert f"Abbrechen und zurück zu {SHOWN_APP}</button>" in page
    assert 'aria-label="Passkey"' in page and "Mit einem Passkey anmelden" in page


def test_a_failed_attempt_and_the_refusals_in_german(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """docs/lockout.md's messages, with the wait in the plural German needs."""
    runtime.store.policy.update(
        TenantPolicy(
            login_delay_after_failures=2,
            source_lockout_threshold=3,
            lockout_duration=timedelta(minutes=10),
        )
    )
    clock = install_clock(runtime)
    http.headers["Accept-Language"] = "de"

    def attempt(password: str) -> Any:
        return submit_login(http, _login_location(http), "alice", password)

    assert f'role="alert">{WRONG}</p>' in _german(attempt("wrong"))
    second = attempt("wrong")
    assert f'role="alert">{WRONG} {TOO_MANY} 1 Sekunde erneut.</p>' in _german(second)
    early = attempt(PASSWORD)  # refused before the password is checked
    assert early.status_code == 429 and early.headers["retry-after"] == "1"
    assert f'role="alert">{TOO_MANY} 1 Sekunde erneut.</p>' in _german(early)
    clock.advance(1)
    locked = attempt("wrong")
    assert f'role="alert">{WRONG} {TOO_MANY} 10 Minuten erneut.</p>' in _german(locked)
    clock.advance(60)
    refused = attempt(PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "540"
    assert f'role="alert">{TOO_MANY} 9 Minuten erneut.</p>' in _german(refused)


def test_ui_locales_give_german_login_and_consent_pages(
    http: TestClient, web: dict[str, Any]
) -> None:
    http.headers["Accept-Language"] = "en"
    location = _login_location(http, scope="openid profile reports:read", ui_locales="fr de")
    assert "<h1>Anmelden</h1>" in _german(http.get(location))
    consent = http.get(submit_login(http, location).headers["location"])
    page = _german(consent)
    assert f"<title>Zugriff erlauben · {SHOWN_APP}</title>" in page
    assert "<h1>Zugriff erlauben?</h1>" in page
    assert f"<strong>{SHOWN_APP}</strong> möchte:</legend>" in page
    # gatehouse's words for a standard scope are translated; the operator's stay as typed.
    assert (
        '<span class="desc">Sie anmelden und wissen, wer Sie sind '
        '<span class="req">(erforderlich)</span></span>'
    ) in page
    assert 'class="desc">Ihren Namen und Ihr Basisprofil sehen</label>' in page
    assert 'class="desc">Read your monthly reports</label>' in page
    assert "<code>profile</code>" in page and "<code>reports:read</code>" in page
    assert "Angemeldet als <strong>alice</strong> (alice@example.com)." in page
    assert "Nicht Sie?</button>" in page
    assert 'value="deny" class="secondary">Ablehnen</button>' in page
    assert 'value="allow" class="primary">Erlauben</button>' in page


def test_the_signed_out_page_in_the_logout_requests_language(
    runtime: Runtime, http: TestClient
) -> None:
    logged_out, front = "https://app.example.com/logged-out", "https://app.example.com/fc"
    client = make_client(
        runtime, name=APP, post_logout_redirect_uris=[logged_out], frontchannel_logout_uri=front
    )
    make_user(runtime)
    tokens = get_tokens(http, client)
    page = http.get(
        "/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": logged_out,
            "ui_locales": "de",
        },
    )
    assert page.status_code == 200
    text = _german(page)
    assert "<title>Abgemeldet</title>" in text and "<h1>Sie sind abgemeldet</h1>" in text
    assert (
        '<p role="status">Sie werden von 1 Anwendung abgemeldet, die diese Anmeldung verwendet '
        "hat; danach geht es automatisch weiter.</p>"
    ) in text
    assert f'title="Abmeldung bei {SHOWN_APP}"' in text
    assert f">Weiter zu {SHOWN_APP}</a>" in text
