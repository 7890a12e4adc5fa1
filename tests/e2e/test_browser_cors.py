"""A single-page app on another loopback origin signs in with fetch() from Chromium: the
browser enforces CORS, so this is where gatehouse's CORS headers are really tested."""

from __future__ import annotations

import json
from collections.abc import Callable
from string import Template
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.support.browser import LoopbackSite, answer_consent, sign_in
from tests.support.live_server import LiveServer

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"

# Shared by the pages: base64url, and how a page hands its outcome to the test.
_COMMON = """
function b64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
}
function report(value) {
  const out = document.getElementById("result");
  out.textContent = JSON.stringify(value);
  out.dataset.done = "1";
}
"""

# The app's start page: discovery, then a PKCE verifier and S256 challenge made with
# crypto.subtle, kept in sessionStorage for the callback page.
SPA_START = Template(
    """<!doctype html><meta charset="utf-8"><title>SPA</title>
<button id="sign-in">Sign in</button><pre id="result"></pre>
<script>
$common
const ISSUER = "$issuer";
document.getElementById("sign-in").addEventListener("click", async () => {
  try {
    const metadata = await (await fetch(ISSUER + "/.well-known/openid-configuration")).json();
    const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
    const challenge = b64url(
      await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
    sessionStorage.setItem("signin", JSON.stringify({metadata, verifier, state}));
    const url = new URL(metadata.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: "code", client_id: "spa", redirect_uri: location.origin + "/callback",
      scope: "openid profile email", state, code_challenge: challenge,
      code_challenge_method: "S256",
    });
    location.assign(url);
  } catch (e) {
    report({ok: false, error: e.name + ": " + e.message});
  }
});
</script>"""
)

# The redirect URI page: check state, redeem the code with the verifier, call UserInfo.
SPA_CALLBACK = Template(
    """<!doctype html><meta charset="utf-8"><title>SPA callback</title><pre id="result"></pre>
<script>
$common
async function finish() {
  const params = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem("signin"));
  if (params.get("state") !== saved.state) throw new Error("state mismatch");
  const tokenResponse = await fetch(saved.metadata.token_endpoint, {
    method: "POST",
    body: new URLSearchParams({
      grant_type: "authorization_code", code: params.get("code"), client_id: "spa",
      redirect_uri: location.origin + "/callback", code_verifier: saved.verifier,
    }),
  });
  const token = await tokenResponse.json();
  if (!tokenResponse.ok) return {ok: false, token_status: tokenResponse.status, token};
  const infoResponse = await fetch(saved.metadata.userinfo_endpoint, {
    headers: {Authorization: "Bearer " + token.access_token},
  });
  return {
    ok: infoResponse.ok,
    token_type: token.token_type,
    id_token: Boolean(token.id_token),
    userinfo: await infoResponse.json(),
  };
}
finish().then(report, (e) => report({ok: false, error: e.name + ": " + e.message}));
</script>"""
)

# A page on an origin no client registered: it may send a request, never read the answer.
STRANGER = Template(
    """<!doctype html><meta charset="utf-8"><title>Stranger</title><pre id="result"></pre>
<script>
$common
const body = () => new URLSearchParams({
  grant_type: "authorization_code", code: "stolen-code", client_id: "spa",
  redirect_uri: "$redirect_uri", code_verifier: "x".repeat(43),
});
async function probe() {
  const outcome = {};
  try {
    const response = await fetch("$issuer/token", {method: "POST", body: body()});
    outcome.read = {status: response.status, body: await response.text()};
  } catch (e) {
    outcome.error = e.name;
  }
  // The same request in no-cors mode succeeds with an opaque response: the server is
  // reachable and answered, only the browser kept the answer from the page.
  const opaque = await fetch("$issuer/token", {method: "POST", mode: "no-cors", body: body()});
  outcome.opaque = opaque.type;
  return outcome;
}
probe().then(report, (e) => report({failed: e.name + ": " + e.message}));
</script>"""
)


def outcome(page: Page) -> dict[str, Any]:
    result = page.locator("#result[data-done]")
    result.wait_for(state="attached")
    return dict(json.loads(result.text_content() or "null"))


def test_spa_on_a_registered_origin_redeems_the_code_and_calls_userinfo(
    server: LiveServer, loopback_site: Callable[..., LoopbackSite], page: Page
) -> None:
    spa = loopback_site()
    spa.pages["/"] = SPA_START.substitute(common=_COMMON, issuer=server.issuer)
    spa.pages["/callback"] = SPA_CALLBACK.substitute(common=_COMMON)
    server.create_client("spa", [spa.url("/callback")], client_type="public")
    server.create_user("alice", PASSWORD, email="alice@example.com")

    page.goto(spa.url("/"))
    page.get_by_role("button", name="Sign in").click()
    sign_in(page, "alice", PASSWORD)
    answer_consent(page, "Allow")
    page.wait_for_url(lambda url: url.startswith(spa.url("/callback?")))
    result = outcome(page)

    assert result["ok"], result
    assert result["token_type"] == "Bearer" and result["id_token"]
    assert result["userinfo"]["email"] == "alice@example.com"


def test_page_on_an_unregistered_origin_cannot_read_the_token_response(
    server: LiveServer, loopback_site: Callable[..., LoopbackSite], page: Page
) -> None:
    spa = loopback_site()
    server.create_client("spa", [spa.url("/callback")], client_type="public")
    stranger = loopback_site()
    assert stranger.origin != spa.origin
    stranger.pages["/"] = STRANGER.substitute(
        common=_COMMON, issuer=server.issuer, redirect_uri=spa.url("/callback")
    )

    page.goto(stranger.url("/"))
    result = outcome(page)

    assert result == {"error": "TypeError", "opaque": "opaque"}
