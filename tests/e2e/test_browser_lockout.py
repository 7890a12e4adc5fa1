"""Brute-force protection as a person meets it in Chromium, against a running server: the
wrong-password message, the lock message on the login page, and an operator's unlock."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import LoopbackSite, sign_in
from tests.support.live_server import LiveServer
from tests.support.relying_party import RelyingParty

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
WRONG = "The username or password is not correct."
LOCKED = "Too many failed attempts. Try again in 15 minutes."


@pytest.fixture
def rp(server: LiveServer, loopback_site: Callable[..., LoopbackSite]) -> Iterator[RelyingParty]:
    # Locked after two failures from one source, without delays before.
    server.cli("policy", "set", "login_delay_after_failures=2", "source_lockout_threshold=2")
    redirect_uri = loopback_site().url("/callback")
    client = server.create_client("web", [redirect_uri])
    server.create_user("alice", PASSWORD)
    rp = RelyingParty(server, client, redirect_uri)
    yield rp
    rp.close()


def test_the_login_page_tells_a_locked_out_person_when_to_come_back(
    server: LiveServer, rp: RelyingParty, page: Page
) -> None:
    page.goto(rp.start().url)
    sign_in(page, "alice", "not the password")
    expect(page.get_by_role("alert")).to_have_text(WRONG)
    sign_in(page, "alice", "still not the password")
    expect(page.get_by_role("alert")).to_have_text(f"{WRONG} {LOCKED}")
    # Now even the right password is refused, unchecked, with the same words.
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("alert")).to_have_text(LOCKED)
    expect(page.get_by_label("Username or email")).to_have_value("alice")

    assert server.cli("user", "unlock", "alice")["counters_cleared"] == 2
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Allow access?")).to_be_visible()
