"""WCAG 2.2 AA checks of a page in Chromium with axe-core (the axe.min.js that the
axe-playwright-python package bundles: nothing is downloaded). docs/accessibility.md lists
what axe cannot check."""

from __future__ import annotations

from typing import Any

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.browser import VIEWPORT, WAIT_MS

# axe-core's tags for the success criteria of WCAG 2.0, 2.1 and 2.2, levels A and AA.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_AXE = Axe()


def assert_accessible(page: Page) -> None:
    """Run axe on ``page`` as it is now; fail listing every violation: its rule id, impact,
    what it means and where (the elements' selectors)."""
    results = _AXE.run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_22_AA},
            "resultTypes": ["violations"],
        },
    )
    violations: list[dict[str, Any]] = results.response["violations"]
    assert not violations, f"axe: {page.url} is not accessible:\n" + "\n".join(
        _describe(violation) for violation in violations
    )


def assert_page_accessible(page: Page, language: str, heading: str | None = None) -> None:
    """The page says it is in ``language`` (``<html lang>``), its heading is ``heading`` in
    that language, and axe finds nothing (docs/accessibility.md)."""
    expect(page.locator("html")).to_have_attribute("lang", language)
    if heading is not None:
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page)


def localized_context(browser: Browser, locale: str) -> BrowserContext:
    """A browser profile whose language (its Accept-Language) is ``locale``, e.g. de-DE."""
    context = browser.new_context(viewport=VIEWPORT, locale=locale)
    context.set_default_timeout(WAIT_MS)
    return context


def _describe(violation: dict[str, Any]) -> str:
    where = "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
    return f"- {violation['id']} ({violation['impact']}): {violation['help']} at {where}"
