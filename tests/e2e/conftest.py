"""Fixtures for end-to-end tests: a real gatehouse server per test (on every backend of
``database_url``), one headless Chromium per run with a fresh context per test, and loopback
sites for the relying party's pages."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.conftest import TEST_SECRET_KEY
from tests.support.browser import VIEWPORT, WAIT_MS, LoopbackSite, launch_chromium
from tests.support.live_server import LiveServer, gatehouse_command, server_env, start_server
from tests.support.smtp import Mailbox

expect.set_options(timeout=WAIT_MS)


# Package scope, not session: while Playwright's sync API is started, its event loop counts
# as running in this thread, and every later asyncio.run() in the suite would fail.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh profile per test: no cookies, no storage left by another test."""
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.set_default_timeout(WAIT_MS)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def _serve(database_url: str, workdir: Path, *, demo: bool) -> Iterator[LiveServer]:
    # The database is a copy of tests/conftest.py's template, keys encrypted with its key.
    server = start_server(database_url, workdir, demo=demo, secret_key=TEST_SECRET_KEY)
    try:
        yield server
    finally:
        server.stop()
        # Shown by pytest only when the test failed.
        print(f"--- gatehouse log ({server.log_path.name}) ---\n{server.log()[-6000:]}")


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """``gatehouse serve`` on its own database; provision it with server.create_client()."""
    yield from _serve(database_url, tmp_path / "server", demo=False)


@pytest.fixture(scope="module")
def module_server(
    module_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """``gatehouse serve`` shared by a module's tests (``module_database_url``): for modules
    that provision one deployment in a module-scoped fixture, once per backend, instead of a
    server and its provisioning per test (each a few processes, most of an end-to-end
    test's time)."""
    yield from _serve(module_database_url, tmp_path_factory.mktemp("server"), demo=False)


@pytest.fixture(scope="module")
def module_loopback_site() -> Iterator[Callable[..., LoopbackSite]]:
    """``loopback_site`` for module-scoped fixtures."""
    yield from _loopback_sites()


@pytest.fixture
def demo_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """``gatehouse demo``; its printed credentials are in demo_server.demo_credentials."""
    yield from _serve(database_url, tmp_path / "demo", demo=True)


@pytest.fixture
def loopback_site() -> Iterator[Callable[..., LoopbackSite]]:
    """Start sites on other loopback origins: ``loopback_site(pages={"/": html})``."""
    yield from _loopback_sites()


def _loopback_sites() -> Iterator[Callable[..., LoopbackSite]]:
    sites: list[LoopbackSite] = []

    def start(pages: dict[str, str] | None = None) -> LoopbackSite:
        site = LoopbackSite(pages=dict(pages or {})).start()
        sites.append(site)
        return site

    yield start
    for site in sites:
        site.stop()


@pytest.fixture
def selfservice_server(database_url: str, tmp_path: Path, smtp: Mailbox) -> Iterator[LiveServer]:
    """`gatehouse serve` with its email going to the loopback SMTP server (``smtp``), and the
    self-service switches turned on before it starts (start-up checks them)."""
    mail = {f"GATEHOUSE_{k.upper()}": str(v) for k, v in smtp.settings().items()}
    workdir = tmp_path / "server"
    workdir.mkdir()
    env = {**server_env(database_url, workdir, None, TEST_SECRET_KEY), **mail}
    switches = ["self_service_registration=true", "password_reset=true"]
    subprocess.run(
        [*gatehouse_command(), "policy", "set", *switches],
        env=env,
        check=True,
        capture_output=True,
        timeout=60,
    )
    live = start_server(database_url, workdir, secret_key=TEST_SECRET_KEY, settings=mail)
    try:
        yield live
    finally:
        live.stop()
        print(f"--- gatehouse log ---\n{live.log()[-6000:]}")
