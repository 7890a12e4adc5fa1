"""The message catalogs checked against the text the pages show: extraction with Babel and
the mapping in babel.cfg, in memory, so a string added to a template without a translation
fails the tests (tests/unit/web/test_translations.py) and `scripts/translations.py check`."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from gatehouse.web.i18n import TRANSLATIONS

ROOT = Path(__file__).resolve().parent.parent.parent
MAPPING = ROOT / "babel.cfg"
SOURCES = ROOT / "src" / "gatehouse" / "web"
TEMPLATE = TRANSLATIONS / "messages.pot"


def extracted() -> Catalog:
    """Every message the sources hold now, as `scripts/translations.py extract` finds them."""
    with MAPPING.open() as mapping:
        method_map, options_map = parse_mapping_cfg(mapping, str(MAPPING))
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        SOURCES, method_map, options_map
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def catalog_paths() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def problems(sources: Catalog, path: Path) -> list[str]:
    """What keeps the catalog at ``path`` from translating every message of ``sources``:
    missing, empty or fuzzy (unreviewed) translations, placeholders that differ, and text
    that is not a format string (the pages format every message: "%%" for a "%")."""
    catalog = read_catalog(path)
    found = []
    for message in sources:
        if not message.id:
            continue
        translated = catalog.get(message.id, message.context)
        shown = _texts(message.id)[0]
        if translated is None:
            found.append(f"{path}: missing {shown!r}")
        elif translated.fuzzy:
            found.append(f"{path}: fuzzy (not reviewed) {shown!r}")
        elif not all(_texts(translated.string)):
            found.append(f"{path}: not translated {shown!r}")
        else:
            found += [f"{path}: {shown!r}: {error}" for error in translated.check(catalog)]
            found += [
                f"{path}: {shown!r}: {text!r} is not a format string"
                for text in (*_texts(message.id), *_texts(translated.string))
                if not _formats(text)
            ]
    return found


def _texts(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """The text of a message id or string: one, or the forms of a plural message."""
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


# "%%", or a named placeholder: the only "%" a message may hold.
_PERCENT = re.compile(
    r"%%|%\([A-Za-z_][A-Za-z0-9_]*\)[#0 +-]*[0-9]*(?:\.[0-9]+)?[diouxXeEfFgGcrsa]"
)


def _formats(text: str) -> bool:
    """Whether ``text`` means itself under jinja2.ext.i18n's new-style ``text % variables``:
    every other "%" is a conversion ("100% abgelaufen" would render "100{}bgelaufen")."""
    return "%" not in _PERCENT.sub("", text)


def stale_template(sources: Catalog) -> list[str]:
    """Messages in the sources and not in messages.pot, or the other way round."""
    template = {m.id for m in read_catalog(TEMPLATE) if m.id}
    current = {m.id for m in sources if m.id}
    return [f"messages.pot lacks {m!r}" for m in current - template] + [
        f"messages.pot has {m!r}, which no source uses" for m in template - current
    ]
