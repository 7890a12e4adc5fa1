"""The account page's own words (web/account_text.py), the shared wording of a refused
password (templates/_password_problem.html) and the page formats of times and lists
(web/page_format.py), in English and German."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from babel import Locale
from jinja2 import DictLoader, Environment

from gatehouse.accounts.passwords import PasswordProblem, PasswordRule
from gatehouse.accounts.profile import SELF_EDITABLE_FIELDS, ProfileError, ProfileRule
from gatehouse.protocol.account.holder import AccountError, Refusal
from gatehouse.web.account_text import (
    PROFILE_NOT_SAVED,
    PROFILE_PROBLEMS,
    field_in_error,
    refusal_message,
    sign_in_methods,
)
from gatehouse.web.context import TEMPLATES, make_templates
from gatehouse.web.i18n import load_languages
from gatehouse.web.page_format import format_utc_time

LANGUAGES = load_languages()
# 2026-01-05 14:03 UTC
MOMENT = int(datetime(2026, 1, 5, 14, 3, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("tag", "shown"),
    [
        ("en", "Jan 5, 2026, 2:03\u202fPM UTC"),
        ("de", "05.01.2026, 14:03 UTC"),
        ("pt-BR", "5 de jan. de 2026 14:03 UTC"),
    ],
)
def test_a_time_is_written_as_the_language_writes_it_in_utc(tag: str, shown: str) -> None:
    assert format_utc_time(MOMENT, Locale.parse(tag, sep="-")) == shown


def _templates(**pages: str) -> Environment:
    templates = make_templates()
    files = {p.name: p.read_text(encoding="utf-8") for p in TEMPLATES.glob("_*.html")}
    templates.loader = DictLoader({**files, **pages})
    return templates


def _render(templates: Environment, page: str, tag: str, **values: Any) -> str:
    translations = LANGUAGES.translations(tag)
    return templates.get_template(page).render(lang=tag, translations=translations, **values)


def test_the_page_filters_use_the_pages_language() -> None:
    templates = _templates(page="{{ when | utc_time }} / {{ words | word_list }}")
    words = sign_in_methods(("pwd", "otp", "mfa"))
    english = _render(templates, "page", "en", when=MOMENT, words=words)
    german = _render(templates, "page", "de", when=MOMENT, words=words)
    assert english == "Jan 5, 2026, 2:03\u202fPM UTC / password and one-time code"
    assert german == "05.01.2026, 14:03 UTC / Passwort und Einmalcode"


PROBLEM_PAGE = (
    '{% from "_password_problem.html" import password_problem with context %}'
    "{{ password_problem(problem) }}"
)


@pytest.mark.parametrize(
    ("problem", "english", "german"),
    [
        (
            PasswordProblem(PasswordRule.TOO_SHORT, 12),
            "A password must be at least 12 characters long.",
            "Ein Passwort muss mindestens 12 Zeichen lang sein.",
        ),
        (
            PasswordProblem(PasswordRule.TOO_LONG, 1024),
            "A password must be at most 1024 characters long.",
            "Ein Passwort darf höchstens 1024 Zeichen lang sein.",
        ),
        (
            PasswordProblem(PasswordRule.COMMON),
            "This password is one of the most commonly used ones. Choose another.",
            "Dieses Passwort gehört zu den am häufigsten verwendeten. Wählen Sie ein anderes.",
        ),
        (
            PasswordProblem(PasswordRule.PERSONAL),
            "A password must not be the username or email address. Choose another.",
            "Ein Passwort darf nicht der Benutzername oder die E-Mail-Adresse sein. "
            "Wählen Sie ein anderes.",
        ),
    ],
)
def test_every_password_rule_is_worded_in_each_language(
    problem: PasswordProblem, english: str, german: str
) -> None:
    templates = _templates(page=PROBLEM_PAGE)
    assert _render(templates, "page", "en", problem=problem) == english
    assert _render(templates, "page", "de", problem=problem) == german


def test_every_refusal_is_worded_and_points_at_its_field() -> None:
    for refusal in Refusal:
        error = AccountError(refusal)
        if refusal is Refusal.WEAK_PASSWORD:
            # The template words the rule: its number needs the right plural.
            assert refusal_message(error) is None
        else:
            assert refusal_message(error)
    assert field_in_error(AccountError(Refusal.WRONG_PASSWORD)) == "current_password"
    assert field_in_error(AccountError(Refusal.CONFIRMATION_DIFFERS)) == "confirm_password"
    assert field_in_error(AccountError(Refusal.WEAK_PASSWORD)) == "new_password"
    assert field_in_error(AccountError(Refusal.NO_SUCH_SESSION, 404)) is None
    assert field_in_error(None) is None


@pytest.mark.parametrize("claim", SELF_EDITABLE_FIELDS)
@pytest.mark.parametrize("rule", [ProfileRule.TOO_LONG, ProfileRule.HOSTILE_CHARACTERS])
def test_every_rule_a_person_can_break_on_the_profile_form_has_its_sentence(
    claim: str, rule: ProfileRule
) -> None:
    error = AccountError(Refusal.PROFILE_RULE, profile=ProfileError(claim, rule, "English"))
    assert refusal_message(error) == PROFILE_PROBLEMS[(claim, rule)]
    assert field_in_error(error) == claim
    assert (
        LANGUAGES.translations("de")
        .gettext(PROFILE_PROBLEMS[(claim, rule)])
        .startswith("Nicht gespeichert: ")
    )


def test_a_profile_rule_the_form_cannot_break_still_says_it_was_not_saved() -> None:
    error = AccountError(
        Refusal.PROFILE_RULE, profile=ProfileError("email", ProfileRule.NOT_AN_EMAIL, "x")
    )
    assert refusal_message(error) == PROFILE_NOT_SAVED


def test_sign_in_methods_name_the_methods_not_their_combination() -> None:
    assert sign_in_methods(("swk", "user", "pin", "mfa")) == ["passkey", "device PIN or biometrics"]
    assert sign_in_methods(("pwd",)) == ["password"]
    assert sign_in_methods(("unknown",)) == []
