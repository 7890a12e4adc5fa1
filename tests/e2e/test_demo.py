"""`gatehouse demo`, clicked through the way its README instructions tell a person to."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import answer_consent, sign_in
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e


def test_demo_signs_in_and_shows_verified_tokens(demo_server: LiveServer, page: Page) -> None:
    assert demo_server.demo_credentials is not None
    username, password = demo_server.demo_credentials

    page.goto(demo_server.url("/demo/"))
    page.get_by_role("button", name="Sign in with gatehouse").click()
    sign_in(page, username, password)
    answer_consent(page, "Allow")

    expect(page.get_by_role("heading", name="You are signed in")).to_be_visible()
    checks = dict(
        page.locator("ul.scopes li").evaluate_all(
            "items => items.map(li => [li.querySelector('span').textContent.trim(),"
            " li.querySelector('code').textContent.trim()])"
        )
    )
    assert {"iss matches the issuer", "aud is this client", "nonce matches"} <= set(checks)
    assert set(checks.values()) == {"✓"}, checks
    expect(page.locator("pre").first).to_contain_text('"nonce"')
    expect(page.get_by_text("demo@example.com").first).to_be_visible()
