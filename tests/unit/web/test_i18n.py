"""web.i18n: which language a page is shown in, and the catalogs it is shown with."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from jinja2 import DictLoader

from gatehouse.web.context import make_templates
from gatehouse.web.i18n import Languages, accepted_languages, is_language_tag, load_languages

LANGUAGES = load_languages()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, []),
        ("", []),
        ("de", ["de"]),
        ("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", ["de-DE", "de", "en-US", "en"]),
        # Most wanted first; equal weights keep their order (RFC 9110 §12.4.2).
        ("en;q=0.5, de", ["de", "en"]),
        ("fr;q=0.8, de;q=0.8", ["fr", "de"]),
        ("  de ;  q=0.5 ,en;Q=0.4", ["de", "en"]),
        ("*", ["en"]),
        # q=0 is "not acceptable"; malformed weights and tags leave their range out.
        ("de;q=0, en", ["en"]),
        ("de;q=1.5, fr;q=-1, it;q=0.1234, nl;q=abc, es;q=1e9, pt;q=nan, sv;q=", []),
        ("de;level=1, en", ["en"]),
        ("<script>, de_DE, 12, d, de-DE-, en--GB, x-klingon", []),
        (",,,;;;,,=,q=", []),
        ("de;q=0.3,en;q=1.000", ["en", "de"]),
    ],
)
def test_accept_language(header: str | None, expected: list[str]) -> None:
    assert accepted_languages(header) == expected


def test_a_hostile_accept_language_costs_little() -> None:
    """Only the first ranges of the first kilobyte are read, however long the header."""
    huge = "de;q=0.5," + "x" * 100_000 + "," + "en," * 30_000
    started = time.perf_counter()
    for _ in range(100):
        assert accepted_languages(huge) == ["de"]
        assert accepted_languages("fr," * 40_000) == ["fr"] * 16
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("tag", "valid"),
    [
        ("de", True),
        ("de-CH", True),
        ("zh-Hant-TW", True),
        ("sr-Latn-RS-1996", True),
        ("d", False),
        ("", False),
        ("de_DE", False),
        ("de-", False),
        ("x-klingon", False),
        ("de-CH\n", False),
        ("a" * 9, False),
    ],
)
def test_language_tags(tag: str, valid: bool) -> None:
    assert is_language_tag(tag) is valid


@pytest.mark.parametrize(
    ("ui_locales", "accept_language", "chosen"),
    [
        ((), None, "en"),
        (("de",), None, "de"),
        ((), "de-AT,en;q=0.5", "de"),
        # ui_locales first (OIDC Core §3.1.2.1), then the browser, then English.
        (("de",), "en", "de"),
        (("en",), "de", "en"),
        (("fr", "de-CH"), "en", "de"),
        (("fr",), "it, de;q=0.5", "de"),
        (("fr",), "it", "en"),
        (("DE",), None, "de"),
        (("EN-gb",), "de", "en"),
        # Malformed input is passed over quietly.
        (("de_DE", "<b>"), "??", "en"),
        (("x" * 5000,), "de" * 60_000, "en"),
    ],
)
def test_choose(ui_locales: tuple[str, ...], accept_language: str | None, chosen: str) -> None:
    assert LANGUAGES.choose(ui_locales, accept_language) == chosen


def test_gatehouse_ships_english_and_german() -> None:
    assert LANGUAGES.tags == ("en", "de")
    assert LANGUAGES.translations("de").gettext("Sign out") == "Abmelden"
    assert LANGUAGES.translations("en").gettext("Sign out") == "Sign out"
    assert LANGUAGES.translations("xx").gettext("Sign out") == "Sign out"


PO = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=utf-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Reviewed"
msgstr "Geprüft"

#, fuzzy
msgid "Guessed"
msgstr "Geraten"

msgid "%(num)s key"
msgid_plural "%(num)s keys"
msgstr[0] "%(num)s Schlüssel"
msgstr[1] "%(num)s Schlüssel (viele)"
"""


def _languages_from(tmp_path: Path) -> Languages:
    catalog = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(PO, encoding="utf-8")
    (tmp_path / "empty").mkdir()  # a folder without a catalog is no language
    return load_languages(tmp_path)


def test_catalogs_compile_in_memory_without_their_fuzzy_entries(tmp_path: Path) -> None:
    languages = _languages_from(tmp_path)
    assert languages.tags == ("en", "de")
    german = languages.translations("de")
    assert german.gettext("Reviewed") == "Geprüft"
    assert german.gettext("Guessed") == "Guessed"  # not reviewed: the English text shows
    assert german.ngettext("%(num)s key", "%(num)s keys", 1) == "%(num)s Schlüssel"
    assert not list(tmp_path.rglob("*.mo"))


def test_one_environment_renders_each_page_in_its_own_language(tmp_path: Path) -> None:
    """The catalog travels with each render, not in the environment: pages in different
    languages can render at the same time. Values in a translated text are escaped."""
    languages = _languages_from(tmp_path)
    templates = make_templates()
    templates.loader = DictLoader(
        {
            "page.html": '<p lang="{{ lang }}">{{ _("Reviewed") }}</p>'
            "{% trans num=n %}{{ num }} key{% pluralize %}{{ num }} keys{% endtrans %}"
            "{% trans who=name %}Hello {{ who }}{% endtrans %}",
        }
    )
    page = templates.get_template("page.html")

    def render(tag: str, n: int) -> str:
        return page.render(lang=tag, translations=languages.translations(tag), n=n, name="<b>")

    assert render("de", 1) == '<p lang="de">Geprüft</p>1 SchlüsselHello &lt;b&gt;'
    assert render("en", 2) == '<p lang="en">Reviewed</p>2 keysHello &lt;b&gt;'
    assert render("de", 2) == '<p lang="de">Geprüft</p>2 Schlüssel (viele)Hello &lt;b&gt;'


def test_a_regional_catalog_is_offered_under_its_language_tag(tmp_path: Path) -> None:
    catalog = tmp_path / "pt_BR" / "LC_MESSAGES" / "messages.po"
    catalog.parent.mkdir(parents=True)
    catalog.write_text(PO.replace("Geprüft", "Verificado"), encoding="utf-8")
    languages = load_languages(tmp_path)
    assert languages.tags == ("en", "pt-BR")
    assert languages.choose(("pt-br",), None) == "pt-BR"
    assert languages.choose((), "pt-BR, en;q=0.5") == "pt-BR"
    assert languages.translations("pt-BR").gettext("Reviewed") == "Verificado"
