"""The consent page's words for the standard scopes: gatehouse's own, translated on the page
(web/pages.py), the same English as protocol/scopes.py, which the CLI lists."""

from __future__ import annotations

from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.web.pages import STANDARD_SCOPE_TEXTS


def test_every_standard_scope_has_the_same_english_words_on_the_consent_page() -> None:
    assert dict(STANDARD_SCOPE_TEXTS) == STANDARD_SCOPES
