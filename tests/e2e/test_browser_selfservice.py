"""Self-service registration in a real browser against a real `gatehouse serve`: Chromium
creates an account from the login page, the server's mail worker sends the link to a real
SMTP server on loopback, the person follows it, and then signs in to an application through
the authorization code flow, whose ID token says the address is verified."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import TEST_SECRET_KEY
from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import (
    LiveServer,
    gatehouse_command,
    server_env,
    start_server,
)
from tests.support.relying_party import RelyingParty
from tests.support.smtp import Mailbox, link_in

pytestmark = pytest.mark.e2e

PASSWORD = "erin's own long passphrase"


@pytest.fixture
def server(database_url: str, tmp_path: Path, smtp: Mailbox) -> Iterator[LiveServer]:
    """`gatehouse serve` with its email going to the loopback SMTP server, and the
    self-service switches turned on before it starts (start-up checks them)."""
    mail = {f"GATEHOUSE_{k.upper()}": str(v) for k, v in smtp.settings().items()}
    workdir = tmp_path / "server"
    workdir.mkdir()
    env = {**server_env(database_url, workdir, None, TEST_SECRET_KEY), **mail}
    subprocess.run(
        [*gatehouse_command(), "policy", "set", "self_service_registration=true"],
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


def test_register_confirm_the_address_and_sign_in(
    server: LiveServer,
    smtp: Mailbox,
    page: Page,
    loopback_site: Callable[..., LoopbackSite],
) -> None:
    callback = loopback_site()
    redirect_uri = callback.url("/callback")
    rp = RelyingParty(server, server.create_client("web", [redirect_uri]), redirect_uri)
    try:
        start = rp.start()
        page.goto(start.url)
        page.get_by_role("link", name="Create an account").click()
        expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
        page.get_by_label("Username").fill("erin")
        page.get_by_label("Email address").fill("erin@example.com")
        page.get_by_label("Your name").fill("Erin Example")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

        link = link_in(smtp.wait_for("erin@example.com"), "/verify-email")
        assert link.startswith(f"{server.issuer}/verify-email?token=")
        page.goto(link)
        page.get_by_role("button", name="Confirm my email address").click()
        expect(page.get_by_role("heading", name="Email address confirmed")).to_be_visible()

        start = rp.start()
        page.goto(start.url)
        sign_in(page, "erin", PASSWORD)
        answer_consent(page, "Allow")
        page.wait_for_url(lambda url: url.startswith(f"{redirect_uri}?"))
        assert query_of(page.url)["state"] == start.state
        claims = rp.validate_id_token(rp.redeem(page.url, start), start.nonce)
        assert claims["email"] == "erin@example.com" and claims["email_verified"] is True
        assert claims["name"] == "Erin Example"

        page.goto(link)  # the link again: used
        expect(page.get_by_role("heading", name="This link was already used")).to_be_visible()
    finally:
        rp.close()
