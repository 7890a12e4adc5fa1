"""The message catalogs of gatehouse's pages (docs/translations.md), with Babel's own
commands and the mapping in babel.cfg:

    .venv/bin/python scripts/translations.py extract     the text of the pages → messages.pot
    .venv/bin/python scripts/translations.py update      extract, then merge it into every
                                                        <language>/LC_MESSAGES/messages.po
    .venv/bin/python scripts/translations.py init LANG   start a catalog for a new language
    .venv/bin/python scripts/translations.py check       exit 1 unless messages.pot is current
                                                        and every catalog translates all of it

Catalogs live in src/gatehouse/web/translations/; gatehouse compiles them when it starts, so
no .mo file is kept. An entry that `update` marks fuzzy (a guess from a similar message) is
not used until a person has reviewed it and removed the fuzzy flag.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.messages.frontend import CommandLineInterface  # noqa: E402
from tests.support.catalogs import (  # noqa: E402
    MAPPING,
    SOURCES,
    TEMPLATE,
    catalog_paths,
    extracted,
    problems,
    stale_template,
)

from gatehouse.web.i18n import TRANSLATIONS  # noqa: E402


def pybabel(*arguments: str) -> None:
    CommandLineInterface().run(["pybabel", "--quiet", *arguments])


def relative(path: Path) -> str:
    """Paths as the catalogs show them, from the top of the repository."""
    return str(path.relative_to(ROOT))


def extract() -> None:
    pybabel(
        "extract",
        f"--mapping-file={relative(MAPPING)}",
        f"--output-file={relative(TEMPLATE)}",
        "--project=gatehouse",
        "--copyright-holder=the gatehouse authors",
        # File names without line numbers: a catalog does not change when a line moves.
        "--add-location=file",
        "--sort-by-file",
        "--width=100",
        relative(SOURCES),
    )


def update() -> None:
    extract()
    pybabel(
        "update",
        f"--input-file={relative(TEMPLATE)}",
        f"--output-dir={relative(TRANSLATIONS)}",
        "--ignore-obsolete",
        "--width=100",
    )


def init(language: str) -> None:
    pybabel(
        "init",
        f"--input-file={relative(TEMPLATE)}",
        f"--output-dir={relative(TRANSLATIONS)}",
        f"--locale={language}",
        "--width=100",
    )


def check() -> int:
    sources = extracted()
    found = stale_template(sources)
    for path in catalog_paths():
        found += problems(sources, path)
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print("run scripts/translations.py update, then translate", file=sys.stderr)
    return 1 if found else 0


def main(arguments: list[str]) -> int:
    os.chdir(ROOT)
    match arguments:
        case ["extract"]:
            extract()
        case ["update"]:
            update()
        case ["init", language]:
            init(language)
        case ["check"]:
            return check()
        case _:
            print(__doc__, file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
