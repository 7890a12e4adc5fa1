"""Values a page shows as its language writes them: times and lists of words.

Template filters, given the page's context: its language (``lang``, a BCP 47 tag chosen by
web/i18n.py) and catalog (``translations``). Babel's CLDR data says how each language
writes a date and a time ("Jan 5, 2026, 2:03 PM" / "05.01.2026, 14:03") and joins words
("a, b, and c" / "a, b und c").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.lists import format_list
from babel.support import NullTranslations
from jinja2 import pass_context
from jinja2.runtime import Context

from gatehouse.web.i18n import Translatable


def page_locale(context: Context) -> Locale:
    """The Babel locale of the page's language (``pt-BR`` → ``pt_BR``)."""
    return Locale.parse(str(context["lang"]), sep="-")


def format_utc_time(seconds: int, locale: Locale) -> str:
    """A Unix time as ``locale`` writes a date and a time of day, in UTC, which it names:
    ``Jan 5, 2026, 2:03 PM UTC`` in English, ``05.01.2026, 14:03 UTC`` in German. gatehouse
    does not know the person's time zone."""
    moment = datetime.fromtimestamp(seconds, UTC)
    day = format_date(moment, "medium", locale=locale)
    time = format_time(moment, "short", tzinfo=UTC, locale=locale)
    zone = format_time(moment, "z", tzinfo=UTC, locale=locale)
    # CLDR's pattern for a date with a time: "{1}, {0}" in English, "{1} {0}" in others
    # (a str, though typed as the DateTimePattern its str() would give).
    both = str(get_datetime_format("medium", locale=locale))
    return both.replace("{1}", day).replace("{0}", f"{time} {zone}")


@pass_context
def utc_time(context: Context, seconds: int) -> str:
    """The filter ``utc_time``: ``format_utc_time`` in the page's language."""
    return format_utc_time(seconds, page_locale(context))


@pass_context
def word_list(context: Context, words: Iterable[Translatable]) -> str:
    """The filter ``word_list``: ``N_()`` words, each translated, joined as the page's
    language lists them."""
    translations: NullTranslations = context["translations"]
    return format_list([translations.gettext(word) for word in words], locale=page_locale(context))
