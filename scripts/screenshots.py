"""Screenshots of gatehouse's pages for the docs, taken with the end-to-end test harness: a
real server, Debian's headless Chromium, and Authlib building the authorization requests.

    .venv/bin/python scripts/screenshots.py [output directory, default docs/screenshots]

Writes login.png, consent.png, error.png and demo-result.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402
from tests.support.browser import (  # noqa: E402
    VIEWPORT,
    LoopbackSite,
    answer_consent,
    launch_chromium,
    sign_in,
)
from tests.support.live_server import LiveServer, start_server  # noqa: E402
from tests.support.relying_party import RelyingParty  # noqa: E402

PASSWORD = "correct horse battery staple"


def _shoot(page: Page, path: Path, *, full_page: bool = False) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page, animations="disabled", caret="hide")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def protocol_pages(browser: Browser, server: LiveServer, out: Path) -> None:
    callback = LoopbackSite().start()
    try:
        redirect_uri = callback.url("/callback")
        client = server.create_client(
            "notes", [redirect_uri], name="Acme Notes", scope="openid profile email"
        )
        server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice Liddell")
        rp = RelyingParty(server, client, redirect_uri)
        stranger = RelyingParty(server, client, callback.url("/somewhere-else"))
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()

        page.goto(rp.start().url)
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        _shoot(page, out / "login.png")

        sign_in(page, "alice", PASSWORD)
        expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
        _shoot(page, out / "consent.png")
        answer_consent(page, "Allow")
        page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))

        page.goto(stranger.start().url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _shoot(page, out / "error.png")
        context.close()
        rp.close()
        stranger.close()
    finally:
        callback.stop()


def demo_result(browser: Browser, demo: LiveServer, out: Path) -> None:
    assert demo.demo_credentials is not None
    username, password = demo.demo_credentials
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    page.goto(demo.url("/demo/"))
    page.get_by_role("button", name="Sign in with gatehouse").click()
    sign_in(page, username, password)
    answer_consent(page, "Allow")
    expect(page.get_by_role("heading", name="You are signed in")).to_be_visible()
    _shoot(page, out / "demo-result.png", full_page=True)
    context.close()


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gatehouse-screenshots-") as tmp:
        work = Path(tmp)
        servers = [
            start_server(f"sqlite:///{work / 'serve.db'}", work / "serve"),
            start_server(f"sqlite:///{work / 'demo.db'}", work / "demo", demo=True),
        ]
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                try:
                    protocol_pages(browser, servers[0], out)
                    demo_result(browser, servers[1], out)
                finally:
                    browser.close()
        finally:
            for server in servers:
                server.stop()


if __name__ == "__main__":
    main()
