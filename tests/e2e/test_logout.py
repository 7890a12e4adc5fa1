"""Logout that reaches every application, against a running `gatehouse serve`: Chromium signs
in and out; the relying party's front-channel logout page loads in a frame of the signed-out
page (and records the hit), and its back-channel endpoint on loopback receives a logout
token it can verify, from the server's own delivery worker. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.support.browser import LoopbackSite, answer_consent, query_of, sign_in
from tests.support.live_server import LiveServer
from tests.support.logout_receiver import LogoutReceiver, validate_logout_token

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"


@pytest.fixture
def receiver() -> Iterator[LogoutReceiver]:
    rp = LogoutReceiver().start()
    yield rp
    rp.stop()


def _jwks(server: LiveServer) -> dict[str, Any]:
    with requests.Session() as http:
        http.trust_env = False
        return dict(http.get(server.url("/jwks"), timeout=10).json())


def test_signing_out_frames_the_front_channel_page_and_posts_the_logout_token(
    server: LiveServer,
    loopback_site: Callable[..., LoopbackSite],
    receiver: LogoutReceiver,
    page: Page,
) -> None:
    site = loopback_site()
    callback, logged_out = site.url("/callback"), site.url("/logged-out")
    server.create_client(
        "web",
        [callback],
        extra=(
            "--post-logout-redirect-uri", logged_out,
            "--frontchannel-logout-uri", site.url("/frontchannel-logout"),
            "--backchannel-logout-uri", receiver.uri,
        ),
    )  # fmt: skip
    server.create_user("alice", PASSWORD)
    page.goto(
        server.url("/authorize?response_type=code&client_id=web&scope=openid&state=s")
        + f"&redirect_uri={callback}&code_challenge={'a' * 43}&code_challenge_method=S256"
    )
    sign_in(page, "alice", PASSWORD)
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(callback))

    page.goto(server.url(f"/logout?client_id=web&post_logout_redirect_uri={logged_out}"))
    page.get_by_role("button", name="Sign out").click()
    # The frame loads, then the page's script goes on to the post-logout redirect URI.
    page.wait_for_url(lambda url: url.startswith(logged_out))
    hits = [path for path in site.requests if path.startswith("/frontchannel-logout")]
    assert len(hits) == 1, site.requests
    sent = query_of(hits[0])
    assert sent["iss"] == server.issuer and sent["sid"]

    assert receiver.wait(1, seconds=10.0), server.log()[-2000:]
    claims = validate_logout_token(
        receiver.tokens[0], _jwks(server), issuer=server.issuer, client_id="web"
    )
    assert claims["sid"] == sent["sid"]  # both channels name the same session


def test_the_signed_out_page_offers_a_link_without_script(
    server: LiveServer, loopback_site: Callable[..., LoopbackSite], page: Page
) -> None:
    site = loopback_site()
    callback, logged_out = site.url("/callback"), site.url("/logged-out")
    server.create_client(
        "web", [callback],
        extra=("--post-logout-redirect-uri", logged_out,
               "--frontchannel-logout-uri", site.url("/fc")),
    )  # fmt: skip
    server.create_user("alice", PASSWORD)
    page.context.route("**/static/frontchannel-logout.js", lambda route: route.abort())
    page.goto(
        server.url("/authorize?response_type=code&client_id=web&scope=openid&state=s")
        + f"&redirect_uri={callback}&code_challenge={'a' * 43}&code_challenge_method=S256"
    )
    sign_in(page, "alice", PASSWORD)
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(callback))
    page.goto(server.url(f"/logout?client_id=web&post_logout_redirect_uri={logged_out}"))
    page.get_by_role("button", name="Sign out").click()
    link = page.get_by_role("link", name="Continue to web app")
    expect(link).to_be_visible()
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    link.click()
    page.wait_for_url(lambda url: url.startswith(logged_out))
