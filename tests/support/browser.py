"""Debian's Chromium driven by Playwright, and small loopback web sites for the relying
party's side: a redirect URI that receives the browser, and static pages with JavaScript.

Playwright's own browser download is never used: Chromium comes from the ``chromium``
Debian package (GATEHOUSE_TEST_CHROMIUM overrides the path).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize

from tests.support.live_server import HOST

CHROMIUM = os.environ.get("GATEHOUSE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--no-first-run",
]
# Generous waits: two busy cores can make a page slow. They bound failures, never assert speed.
WAIT_MS = 30_000
VIEWPORT: ViewportSize = {"width": 900, "height": 800}


# Chromium's virtual authenticator (DevTools WebAuthn domain) as a laptop's or phone's
# platform authenticator: it keeps discoverable credentials and verifies its user (a
# fingerprint or PIN), and answers without a click.
PLATFORM_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def launch_chromium(playwright: Playwright) -> Browser:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"{CHROMIUM} not found: install Debian's chromium package (scripts/test does)"
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def launch_persistent_chromium(playwright: Playwright, profile: Path) -> BrowserContext:
    """Chromium with a profile directory of its own, as a person's browser is: closing it
    and launching it again on the same ``profile`` is a browser restart (persistent cookies
    stay, session cookies go)."""
    return playwright.chromium.launch_persistent_context(
        profile,
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport=VIEWPORT,
    )


# -- the person's part ----------------------------------------------------------------------


def sign_in(page: Page, login: str, password: str, *, remember_me: bool = False) -> None:
    """Fill gatehouse's login form and submit it."""
    page.get_by_label("Username or email").fill(login)
    page.get_by_label("Password").fill(password)
    if remember_me:
        page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Sign in", exact=True).click()


def answer_consent(page: Page, decision: str = "Allow") -> None:
    page.get_by_role("button", name=decision, exact=True).click()


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# -- loopback sites -------------------------------------------------------------------------


@dataclass
class LoopbackSite:
    """An HTTP server on 127.0.0.1 serving fixed pages; unknown paths get a small page that
    names the path, so a redirect URI without a page of its own still lands somewhere real.
    Every GET is recorded, and every form POSTed to it (a form_post response) with its
    fields."""

    pages: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    posts: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        assert self._server is not None, "start() the site first"
        return f"http://{HOST}:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"

    def start(self) -> LoopbackSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                self.answer()

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True)
                site.posts.append((self.path, {k: v[0] for k, v in form.items()}))
                self.answer()

            def answer(self) -> None:
                path = urlsplit(self.path).path
                body = site.pages.get(path, f"<!doctype html><title>{path}</title><p>{path}")
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: pytest shows failures, not access logs

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
