"""Front-channel logout (OIDC Front-Channel Logout 1.0 §2 to §4): the page after a sign-out
frames each participating client's frontchannel_logout_uri (with iss and sid when asked
for), its Content-Security-Policy allows exactly those frames, and it goes on to the
post-logout redirect URI with a link that needs no script."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.testclient import TestClient

from gatehouse.keys.jose import unverified_claims
from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_user
from tests.support.flow import csrf_from, get_tokens

LOGGED_OUT = "https://app.example.com/logged-out"
FRONT = "https://app.example.com/fc?from=gatehouse"


def _signed_in(runtime: Runtime, http: TestClient, **fields: Any) -> dict[str, Any]:
    client = make_client(runtime, post_logout_redirect_uris=[LOGGED_OUT], **fields)
    make_user(runtime)
    return get_tokens(http, client)


def _frames(page: str) -> list[str]:
    return [
        html.unescape(src)
        for src in re.findall(r'<iframe class="logout-frame" src="([^"]+)"', page)
    ]


def test_the_signed_out_page_frames_the_client_with_iss_and_sid(
    runtime: Runtime, http: TestClient
) -> None:
    tokens = _signed_in(runtime, http, frontchannel_logout_uri=FRONT)
    page = http.get(
        "/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": LOGGED_OUT,
            "state": "s1",
        },
    )
    assert page.status_code == 200
    (frame,) = _frames(page.text)
    parts = urlsplit(frame)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://app.example.com/fc"
    assert parse_qs(parts.query) == {
        "from": ["gatehouse"],
        "iss": ["http://testserver"],
        "sid": [unverified_claims(tokens["id_token"])["sid"]],
    }
    policy = page.headers["content-security-policy"]
    assert policy.endswith("; frame-src https://app.example.com")
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    # Without script the person goes on by the link; with it, once the frames loaded.
    assert f'<a id="continue" href="{LOGGED_OUT}?state=s1">' in page.text
    assert '<script src="/static/frontchannel-logout.js" defer></script>' in page.text
    assert http.get("/static/frontchannel-logout.js").status_code == 200
    assert "gh_session=" in page.headers["set-cookie"]  # the session cookie is cleared


def test_without_session_required_the_uri_is_framed_as_registered(
    runtime: Runtime, http: TestClient
) -> None:
    tokens = _signed_in(
        runtime, http, frontchannel_logout_uri=FRONT, frontchannel_logout_session_required=False
    )
    page = http.get("/logout", params={"id_token_hint": tokens["id_token"]})
    assert _frames(page.text) == [FRONT]
    assert 'id="continue"' not in page.text  # no post-logout redirect URI: nowhere to go on


def test_the_person_who_confirms_gets_the_frames_too(runtime: Runtime, http: TestClient) -> None:
    _signed_in(runtime, http, frontchannel_logout_uri=FRONT)
    params = {"client_id": "web", "post_logout_redirect_uri": LOGGED_OUT}
    confirm = http.get("/logout", params=params)
    assert "Sign out?" in confirm.text
    page = http.post(
        "/logout", data={**params, "confirm": "yes", "csrf_token": csrf_from(confirm.text)}
    )
    assert page.status_code == 200 and len(_frames(page.text)) == 1


def test_only_clients_that_took_part_are_framed(runtime: Runtime, http: TestClient) -> None:
    make_client(
        runtime,
        "bystander",
        redirect_uris=["https://b.example.com/cb"],
        frontchannel_logout_uri="https://b.example.com/fc",
    )
    tokens = _signed_in(runtime, http)  # web has no front-channel URI
    response = http.get(
        "/logout",
        params={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": LOGGED_OUT},
    )
    assert response.status_code == 303  # nothing to frame: straight back, as before
    assert (
        "content-security-policy" not in response.headers
        or "frame-src" not in (response.headers["content-security-policy"])
    )


def test_discovery_advertises_both_logout_kinds(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    for flag in (
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
    ):
        assert metadata[flag] is True, flag
