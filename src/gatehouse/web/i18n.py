"""The language of the pages a person sees: message catalogs and the choice of language.

Catalogs are the ``.po`` files under ``translations/<language>/LC_MESSAGES/messages.po``
(docs/translations.md), compiled in memory with Babel when the app is built, so no compiled
``.mo`` file is kept in the repository. English is the source language: its text is the
message ids themselves.

The language of a page is the first one gatehouse has among, in order: the ``ui_locales``
the application asked for (OIDC Core §3.1.2.1), the browser's ``Accept-Language`` (RFC 9110
§12.5.4), then English. Input that is malformed or too long costs little and is ignored.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NewType

from babel import negotiate_locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from jinja2 import pass_context
from jinja2.runtime import Context

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
SOURCE_LANGUAGE = "en"

# RFC 5646 §2.1, loosely: a primary language subtag of letters, then subtags of letters and
# digits (script, region, variants). Private-use and grandfathered tags match no catalog.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8}){0,7}")
# RFC 9110 §12.4.2: qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")
# A browser sends a handful of languages; past these bounds a header is not worth reading.
MAX_HEADER_CHARS = 1024
MAX_LANGUAGE_RANGES = 16
_UNTRANSLATED = NullTranslations()

# A person-facing string written in Python: marked for extraction with ``N_`` (the name
# gettext tools look for, one of Babel's default keywords) and translated where a page shows
# it with ``_()``. Only such constants may be passed to ``_()`` in a template: a
# translation is trusted markup, and mypy keeps anything else out of these parameters.
Translatable = NewType("Translatable", str)


def N_(message: str) -> Translatable:
    """Mark ``message`` for translation; it is translated where the page shows it."""
    return Translatable(message)


@dataclass(frozen=True)
class Message:
    """A person-facing message from Python with numbers or names in it: its text, marked with
    ``N_`` and written with ``%(name)s`` placeholders, and their values. A page shows it with
    ``{{ _(message.text, **message.values) }}``, which escapes the values."""

    text: Translatable
    values: Mapping[str, int | str] = field(default_factory=dict)


def is_language_tag(value: str) -> bool:
    return _LANGUAGE_TAG.fullmatch(value) is not None


def accepted_languages(header: str | None) -> list[str]:
    """The language tags of an Accept-Language header, most wanted first (RFC 9110 §12.5.4);
    a range with a malformed tag or weight, or a weight of 0, is left out. "*" (any
    language) stands for the source language."""
    if not header:
        return []
    ranges: list[tuple[float, int, str]] = []
    items = header[:MAX_HEADER_CHARS].split(",", MAX_LANGUAGE_RANGES)[:MAX_LANGUAGE_RANGES]
    for position, item in enumerate(items):
        tag, _, parameters = item.partition(";")
        tag = tag.strip()
        weight = _weight(parameters)
        if tag == "*":
            tag = SOURCE_LANGUAGE
        if weight and is_language_tag(tag):
            ranges.append((-weight, position, tag))
    return [tag for _, _, tag in sorted(ranges)]


def _weight(parameters: str) -> float | None:
    """The q parameter of one language range; 1 without one, None when malformed."""
    name, _, value = parameters.strip().partition("=")
    if not name:
        return 1.0
    if name.strip().lower() != "q" or _QVALUE.fullmatch(value.strip()) is None:
        return None
    return float(value)


@dataclass(frozen=True)
class Languages:
    """The catalogs gatehouse ships, by language tag; the source language has none."""

    catalogs: Mapping[str, NullTranslations]

    @property
    def tags(self) -> tuple[str, ...]:
        """Every language a page can be shown in, the source language first."""
        return (SOURCE_LANGUAGE, *sorted(t for t in self.catalogs if t != SOURCE_LANGUAGE))

    def choose(self, ui_locales: Sequence[str], accept_language: str | None) -> str:
        """The application's ui_locales first, then the browser's languages, then English."""
        preferred = [t for t in ui_locales if is_language_tag(t)]
        preferred += accepted_languages(accept_language)
        chosen = negotiate_locale(preferred, self.tags, sep="-")
        # negotiate_locale answers with the preferred spelling ("DE", "de-AT" → "de").
        by_lower = {tag.lower(): tag for tag in self.tags}
        return by_lower.get((chosen or SOURCE_LANGUAGE).lower(), SOURCE_LANGUAGE)

    def translations(self, tag: str) -> NullTranslations:
        """The catalog of ``tag``; for the source language, the messages as they are."""
        return self.catalogs.get(tag, _UNTRANSLATED)


def load_languages(directory: Path = TRANSLATIONS) -> Languages:
    """Compile every ``<locale>/LC_MESSAGES/messages.po`` under ``directory`` in memory.
    Fuzzy entries (unreviewed) are left out, so their English text shows. Folders are named
    as Babel names locales (``pt_BR``); pages use the BCP 47 tag (``pt-BR``)."""
    return Languages(
        {
            path.parent.parent.name.replace("_", "-"): _compiled(path)
            for path in _catalogs(directory)
        }
    )


def _catalogs(directory: Path) -> Iterable[Path]:
    return sorted(directory.glob("*/LC_MESSAGES/messages.po"))


def _compiled(path: Path) -> Translations:
    with path.open("rb") as po:
        catalog = read_po(po, locale=path.parent.parent.name)
    mo = io.BytesIO()
    write_mo(mo, catalog)
    mo.seek(0)
    return Translations(mo, domain="messages")


# -- Jinja ------------------------------------------------------------------------------------
# Installed once as the environment's gettext and ngettext (jinja2.ext.i18n, new style:
# autoescaped, %(name)s placeholders). Each render passes the catalog of its request's
# language as ``translations``, so pages in different languages render at the same time.


@pass_context
def page_gettext(context: Context, message: str) -> str:
    translations: NullTranslations = context["translations"]
    return translations.gettext(message)


@pass_context
def page_ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    translations: NullTranslations = context["translations"]
    return translations.ngettext(singular, plural, count)
