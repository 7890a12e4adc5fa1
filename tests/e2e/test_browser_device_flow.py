"""The device flow end to end (RFC 8628): a device asks a running gatehouse for codes and
polls its token endpoint over real HTTP from another thread, while a person in a real
Chromium opens the verification URI, signs in, compares the code and allows (or denies).
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry
from playwright.sync_api import Page, expect

from tests.conftest import TEST_SECRET_KEY
from tests.support.browser import sign_in
from tests.support.live_server import LiveServer, start_server
from tests.support.relying_party import discover

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
# The device gives up after this long; the person needs a few seconds in the browser.
DEADLINE_SECONDS = 60


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """gatehouse serve with a one-second polling interval, so the test is quick."""
    live = start_server(
        database_url,
        tmp_path / "server",
        secret_key=TEST_SECRET_KEY,
        settings={"GATEHOUSE_DEVICE_POLL_INTERVAL": "1"},
    )
    try:
        yield live
    finally:
        live.stop()
        print(f"--- gatehouse log ---\n{live.log()[-6000:]}")


@dataclass
class Device:
    """A TV app: asks for codes, then polls from a thread of its own as RFC 8628 §3.4 says,
    honouring slow_down (§3.5)."""

    metadata: dict[str, Any]
    client_id: str = "tv"
    answers: list[str] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.http = httpx.Client(trust_env=False, timeout=10)

    def start(self, scope: str) -> dict[str, Any]:
        response = self.http.post(
            self.metadata["device_authorization_endpoint"],
            data={"client_id": self.client_id, "scope": scope},
        )
        response.raise_for_status()
        codes: dict[str, Any] = response.json()
        return codes

    def poll_in_background(self, codes: dict[str, Any]) -> threading.Thread:
        thread = threading.Thread(target=self._poll, args=(codes,), daemon=True)
        thread.start()
        return thread

    def _poll(self, codes: dict[str, Any]) -> None:
        interval = int(codes["interval"])
        give_up = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < give_up:
            time.sleep(interval)
            response = self.http.post(
                self.metadata["token_endpoint"],
                data={
                    "grant_type": DEVICE_GRANT,
                    "device_code": codes["device_code"],
                    "client_id": self.client_id,
                },
            )
            body = response.json()
            self.answers.append(body.get("error", "tokens"))
            if body.get("error") == "slow_down":
                interval += 5
            elif body.get("error") != "authorization_pending":
                self.result = body
                return

    def wait_until_polled(self) -> None:
        """Until the device has been told at least once that the person has not answered."""
        give_up = time.monotonic() + DEADLINE_SECONDS
        while "authorization_pending" not in self.answers and time.monotonic() < give_up:
            time.sleep(0.05)
        assert "authorization_pending" in self.answers, self.answers

    def validate_id_token(self, tokens: dict[str, Any]) -> dict[str, Any]:
        """Signature against the published JWKS (RS256 pinned), then iss, aud, exp and
        at_hash by Authlib."""
        jwks = self.http.get(self.metadata["jwks_uri"]).json()
        decoded = jwt.decode(
            tokens["id_token"],
            KeySet.import_key_set(jwks),
            registry=JWSRegistry(algorithms=["RS256"]),
        )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": self.metadata["issuer"]},
                "aud": {"essential": True, "value": self.client_id},
            },
            {"client_id": self.client_id, "access_token": tokens["access_token"]},
        )
        claims.validate(leeway=60)
        return dict(claims)


@pytest.fixture
def device(server: LiveServer) -> Iterator[Device]:
    server.cli(
        "client", "create", "--client-id", "tv", "--type", "public", "--name", "Living-room TV",
        "--grant-type", DEVICE_GRANT, "--grant-type", "refresh_token",
        "--scope", "openid profile offline_access",
    )  # fmt: skip
    server.create_user("alice", PASSWORD, email="alice@example.com", name="Alice")
    tv = Device(discover(server))
    yield tv
    tv.http.close()


def _enter_code_and_sign_in(page: Page, codes: dict[str, Any]) -> None:
    # The QR code's URI: the code is filled in; the person continues and signs in.
    page.goto(codes["verification_uri_complete"])
    expect(page.get_by_label("Code")).to_have_value(codes["user_code"])
    page.get_by_role("button", name="Continue").click()
    sign_in(page, "alice", PASSWORD)
    expect(page.get_by_role("heading", name="Allow this device?")).to_be_visible()
    expect(page.get_by_text(codes["user_code"], exact=True)).to_be_visible()
    expect(page.get_by_text("Living-room TV").first).to_be_visible()


def test_the_person_allows_the_device_in_the_browser_while_it_polls(
    page: Page, device: Device
) -> None:
    codes = device.start("openid profile offline_access")
    polling = device.poll_in_background(codes)
    _enter_code_and_sign_in(page, codes)
    device.wait_until_polled()
    page.get_by_role("button", name="Allow", exact=True).click()
    expect(page.get_by_role("heading", name="Device connected")).to_be_visible()

    polling.join(DEADLINE_SECONDS + 10)
    tokens = device.result
    assert device.answers[0] == "authorization_pending"
    assert device.answers[-1] == "tokens", device.answers
    assert {"access_token", "id_token", "refresh_token"} <= tokens.keys()
    claims = device.validate_id_token(tokens)
    userinfo = device.http.get(
        device.metadata["userinfo_endpoint"],
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ).json()
    assert userinfo["sub"] == claims["sub"] and userinfo["name"] == "Alice"
    # The device code was spent.
    again = device.http.post(
        device.metadata["token_endpoint"],
        data={"grant_type": DEVICE_GRANT, "device_code": codes["device_code"], "client_id": "tv"},
    )
    assert again.json()["error"] == "invalid_grant"


def test_the_person_denies_the_device_in_the_browser(page: Page, device: Device) -> None:
    codes = device.start("openid profile")
    polling = device.poll_in_background(codes)
    _enter_code_and_sign_in(page, codes)
    page.get_by_role("button", name="Deny", exact=True).click()
    expect(page.get_by_role("heading", name="Access denied")).to_be_visible()
    polling.join(DEADLINE_SECONDS + 10)
    assert device.result["error"] == "access_denied"
