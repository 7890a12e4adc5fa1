"""The words of the second-factor pages: every code a lower layer may return has them, in
every language, and brute-force protection's wait and passkeys.js's messages are worded in
the page's language."""

from __future__ import annotations

import json
import re

import pytest

from gatehouse.accounts.passkeys import InvalidPasskeyName, TooManyPasskeys
from gatehouse.accounts.second_factor import AnswerProblem
from gatehouse.accounts.throttle import Refusal
from gatehouse.accounts.webauthn import PasskeyProblem, PasskeyRejected
from gatehouse.errors import LoginRequired
from gatehouse.protocol.enrolment import NoAuthenticator
from gatehouse.web.context import make_templates
from gatehouse.web.i18n import load_languages
from gatehouse.web.mfa_messages import ANSWER_PROBLEMS, NO_AUTHENTICATOR, problem_message
from gatehouse.web.passkeys import problem_of

LANGUAGES = load_languages()
TEMPLATES = make_templates()


def test_every_problem_has_its_words() -> None:
    assert set(ANSWER_PROBLEMS) == set(AnswerProblem)
    assert set(NO_AUTHENTICATOR) == set(NoAuthenticator)
    assert problem_message(None) is None
    assert problem_message(AnswerProblem.WRONG_CODE) == (
        "That code is not right, or it was already used. Try the newest code."
    )
    german = LANGUAGES.translations("de")
    for message in (*ANSWER_PROBLEMS.values(), *NO_AUTHENTICATOR.values()):
        assert german.gettext(message) != message


def _wait(language: str, seconds: int) -> str:
    page = TEMPLATES.from_string(
        '{% from "_too_many_attempts.html" import too_many with context %}{{ too_many(refusal) }}'
    )
    return page.render(
        translations=LANGUAGES.translations(language), refusal=Refusal("source", seconds)
    )


@pytest.mark.parametrize(
    ("seconds", "english", "german"),
    [
        (0, "Try again in 1 second.", "Versuchen Sie es in 1 Sekunde erneut."),
        (1, "Try again in 1 second.", "Versuchen Sie es in 1 Sekunde erneut."),
        (2, "Try again in 2 seconds.", "Versuchen Sie es in 2 Sekunden erneut."),
        (119, "Try again in 119 seconds.", "Versuchen Sie es in 119 Sekunden erneut."),
        (120, "Try again in 2 minutes.", "Versuchen Sie es in 2 Minuten erneut."),
        (900, "Try again in 15 minutes.", "Versuchen Sie es in 15 Minuten erneut."),
    ],
)
def test_the_wait_in_words(seconds: int, english: str, german: str) -> None:
    assert _wait("en", seconds) == f"Too many failed attempts. {english}"
    assert _wait("de", seconds) == f"Zu viele fehlgeschlagene Versuche. {german}"
    # The same wait the developer-facing text (and the login page, for now) says.
    assert Refusal("source", seconds).message == f"Too many failed attempts. {english}"


def _script_messages(language: str, **values: object) -> dict[str, str]:
    html = TEMPLATES.get_template("_passkeys_script.html").render(
        translations=LANGUAGES.translations(language), **values
    )
    found = re.search(r"data-messages='([^']*)'", html)
    assert found is not None, html
    assert '<script src="/static/passkeys.js" defer></script>' in html
    messages: dict[str, str] = json.loads(found.group(1))
    return messages


@pytest.mark.parametrize("language", ["en", "de"])
def test_passkeys_js_has_words_for_every_refusal(language: str) -> None:
    messages = _script_messages(language, max_name_length=64, max_passkeys=20)
    refusals = {problem_of(error) for error in _every_refusal()}
    assert None not in refusals and refusals <= set(messages)
    assert messages["name_length"].count("64") == 1
    assert "{status}" in messages["server_error"]  # filled in by the script


def test_passkeys_js_speaks_the_page_language() -> None:
    english, german = _script_messages("en"), _script_messages("de")
    assert set(english) == set(german) and "name_length" not in english
    assert english["not_here"].startswith("This passkey is not registered here")
    assert german["not_here"].startswith("Dieser Passkey ist hier nicht registriert")
    assert all(german[key] != english[key] for key in english)


def _every_refusal() -> list[Exception]:
    return [
        *(PasskeyRejected("test", problem) for problem in PasskeyProblem),
        InvalidPasskeyName("length", "too long"),
        InvalidPasskeyName("characters", "control characters"),
        TooManyPasskeys("too many"),
        LoginRequired("signed out"),
    ]
