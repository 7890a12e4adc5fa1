"""The language of the pages: the application's ui_locales (OIDC Core §3.1.2.1, RP-Initiated
Logout 1.0 §2), then the browser's Accept-Language, then English; bad input falls back to
English quietly."""

from __future__ import annotations

import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_user
from tests.support.flow import run_flow, start_authorize, submit_login


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime, name="Acme <Notes>")


def _language(response: Any) -> str:
    found = re.search(r'<html lang="([^"]*)">', response.text)
    assert found is not None, response.text
    assert response.headers["content-language"] == found.group(1)
    return found.group(1)


@pytest.mark.parametrize(
    ("accept_language", "language", "heading"),
    [
        (None, "en", "gatehouse is running"),
        ("de", "de", "gatehouse läuft"),
        ("de-CH, en;q=0.5", "de", "gatehouse läuft"),
        ("fr, de;q=0.1", "de", "gatehouse läuft"),
        ("fr, en;q=0.9, de;q=0.8", "en", "gatehouse is running"),
        ("fr", "en", "gatehouse is running"),
        ("de;q=0", "en", "gatehouse is running"),
        # Malformed or hostile headers: English, quietly and cheaply.
        ("de;q=2, ;;;, \x7f", "en", "gatehouse is running"),
        ("x" * 100_000, "en", "gatehouse is running"),
        ("en-US," * 20_000 + "de", "en", "gatehouse is running"),
    ],
)
def test_the_browser_language(
    http: TestClient, accept_language: str | None, language: str, heading: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language is not None else {}
    response = http.get("/", headers=headers)
    assert response.status_code == 200
    assert _language(response) == language
    assert f"<h1>{heading}</h1>" in response.text


def test_discovery_lists_the_languages(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert metadata["ui_locales_supported"] == ["en", "de"]


@pytest.mark.parametrize(
    ("ui_locales", "accept_language", "language"),
    [
        ("de", "en", "de"),
        ("fr-CA de-AT", "en", "de"),
        ("en", "de", "en"),
        ("fr", "de", "de"),
        ("fr", None, "en"),
        ("de_DE <b> " + "x" * 400, None, "en"),
    ],
)
def test_ui_locales_come_before_the_browser_on_the_sign_in_pages(
    http: TestClient,
    web: dict[str, Any],
    ui_locales: str,
    accept_language: str | None,
    language: str,
) -> None:
    if accept_language is not None:
        http.headers["Accept-Language"] = accept_language
    response, _ = start_authorize(http, ui_locales=ui_locales)
    login = response.headers["location"]
    assert _language(http.get(login)) == language
    failed = submit_login(http, login, password="wrong")
    assert failed.status_code == 200 and _language(failed) == language
    consent = http.get(submit_login(http, login).headers["location"])
    assert consent.status_code == 200 and _language(consent) == language


def test_ui_locales_of_a_logout_request(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """RP-Initiated Logout 1.0 §2; the confirmation carries them on. The application's name
    inside the translated sentence is escaped."""
    run_flow(http)
    page = http.get("/logout", params={"client_id": "web", "ui_locales": "de"})
    assert page.status_code == 200 and _language(page) == "de"
    assert "<h1>Abmelden?</h1>" in page.text
    assert (
        "<strong>Acme &lt;Notes&gt;</strong> möchte Sie als <strong>alice</strong> von "
        "gatehouse abmelden." in page.text
    )
    assert '<input type="hidden" name="ui_locales" value="de">' in page.text
    assert '<button type="submit" class="primary">Abmelden</button>' in page.text


def test_an_error_page_in_german_keeps_the_developer_details_in_english(
    http: TestClient, web: dict[str, Any]
) -> None:
    page = http.get(
        "/authorize", params={"client_id": "nobody"}, headers={"Accept-Language": "de-DE"}
    )
    assert page.status_code == 400 and _language(page) == "de"
    assert "<h1>Diese Anmeldeanfrage kann nicht abgeschlossen werden</h1>" in page.text
    assert "<summary>Details für Entwickler</summary>" in page.text
    assert '<dd lang="en"><code>invalid_request</code></dd>' in page.text
    assert (
        '<dd lang="en">no application is registered with client_id &#39;nobody&#39;</dd>'
        in page.text
    )


def test_a_form_expired_page_in_german(http: TestClient) -> None:
    page = http.post("/logout", data={"confirm": "yes"}, headers={"Accept-Language": "de"})
    assert page.status_code == 403 and _language(page) == "de"
    assert "<title>Dieses Formular ist abgelaufen</title>" in page.text
    assert "Gehen Sie zurück, laden Sie die Seite neu" in page.text
