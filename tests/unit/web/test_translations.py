"""The catalogs against the sources: a string added to a page without a translation in every
shipped language fails here (scripts/translations.py update, then translate)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.catalogs import (
    TEMPLATE,
    catalog_paths,
    extracted,
    problems,
    stale_template,
)

SOURCES = extracted()


def test_the_pages_have_text_to_translate() -> None:
    ids = {m.id for m in SOURCES}
    assert {"Sign out?", "This form has expired", "Issuer: <code>%(issuer)s</code>"} <= ids


def test_german_is_shipped() -> None:
    assert TEMPLATE.parent / "de" / "LC_MESSAGES" / "messages.po" in catalog_paths()


def test_messages_pot_holds_what_the_sources_hold() -> None:
    assert stale_template(SOURCES) == []


@pytest.mark.parametrize("catalog", catalog_paths(), ids=lambda p: p.parent.parent.name)
def test_every_message_is_translated(catalog: Path) -> None:
    assert problems(SOURCES, catalog) == []


def test_a_missing_or_broken_translation_is_found(tmp_path: Path) -> None:
    catalog = tmp_path / "messages.po"
    catalog.write_text(
        'msgid "Sign out?"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Sign out"\nmsgstr "Abmelden"\n\n'
        '#, python-format\nmsgid "Issuer: <code>%(issuer)s</code>"\n'
        'msgstr "Aussteller: %(iss)s"\n\n'
        'msgid "This form has expired"\nmsgstr "100% abgelaufen"\n',
        encoding="utf-8",
    )
    found = "\n".join(problems(SOURCES, catalog))
    assert "not translated 'Sign out?'" in found
    assert "fuzzy (not reviewed) 'Sign out'" in found
    assert "'Issuer: <code>%(issuer)s</code>': unknown named placeholder 'iss'" in found
    assert "'100% abgelaufen' is not a format string" in found
    assert "missing 'Sign out of gatehouse.'" in found
