"""Driving the authorization code flow in-process, the way a browser and a client would."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

from httpx2 import Response
from starlette.testclient import TestClient

from tests.support.factories import PASSWORD, REDIRECT_URI


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    return verifier, challenge


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def consent_form(html: str, *, unticked: tuple[str, ...] = ()) -> dict[str, str]:
    """What the consent page's form sends, as a browser would: its hidden fields (CSRF
    token, interaction, subject) and the scope checkboxes left ticked (all but
    ``unticked``)."""
    # The form posts to <base>/consent: a tenant's pages live below its path.
    start = re.search(r'<form method="post" action="[^"]*/consent"', html)
    assert start, "no consent form in page"
    form = html[start.start() :]
    form = form[: form.index("</form>")]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))
    assert {"csrf_token", "interaction", "subject"} <= fields.keys(), fields
    for name, scope in scope_checkboxes(form).items():
        if scope not in unticked:
            fields[name] = scope
    return fields


def scope_checkboxes(html: str) -> dict[str, str]:
    """The consent page's optional scopes: checkbox name -> scope."""
    return dict(
        re.findall(r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="([^"]*)"', html)
    )


@dataclass
class FlowResult:
    location: str
    params: dict[str, str]
    verifier: str


def authorize_params(client_id: str = "web", **overrides: Any) -> tuple[dict[str, str], str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update({k: v for k, v in overrides.items() if v is not None})
    for key in [k for k, v in overrides.items() if v is None]:
        params.pop(key, None)
    return params, verifier


def submit_login(
    http: TestClient,
    location: str,
    login: str = "alice",
    password: str = PASSWORD,
    *,
    remember_me: bool = False,
) -> Response:
    page = http.get(location)
    assert page.status_code == 200, page.text
    interaction = query_of(location)["interaction"]
    data = {
        "csrf_token": csrf_from(page.text),
        "interaction": interaction,
        "login": login,
        "password": password,
    }
    if remember_me:
        data["remember_me"] = "yes"
    return http.post("/login", data=data)


def submit_consent(
    http: TestClient, location: str, decision: str = "allow", unticked: tuple[str, ...] = ()
) -> Response:
    page = http.get(location)
    assert page.status_code == 200, page.text
    fields = consent_form(page.text, unticked=unticked)
    return http.post("/consent", data={**fields, "decision": decision})


def run_flow(
    http: TestClient,
    client_id: str = "web",
    *,
    login: str = "alice",
    password: str = PASSWORD,
    consent: str = "allow",
    **overrides: Any,
) -> FlowResult:
    """Follow the redirects through login and consent pages until the client's redirect URI."""
    params, verifier = authorize_params(client_id, **overrides)
    response = http.get("/authorize", params=params)
    location = follow_to_client(http, response, login=login, password=password, consent=consent)
    return FlowResult(location, query_of(location), verifier)


def follow_to_client(
    http: TestClient,
    response: Response,
    *,
    login: str = "alice",
    password: str = PASSWORD,
    consent: str = "allow",
) -> str:
    """From /authorize's response, through the login and consent pages as needed, to the
    location at the client's redirect URI."""
    for _ in range(6):
        assert response.status_code in (302, 303), response.text
        location = response.headers["location"]
        if location.startswith("/login"):
            response = submit_login(http, location, login, password)
        elif location.startswith("/consent"):
            response = submit_consent(http, location, consent)
        else:
            return str(location)
    raise AssertionError("too many redirects")


def redeem(
    http: TestClient, code: str, verifier: str | None, client: dict[str, Any], **extra: str
) -> Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    auth = (client["client_id"], client["client_secret"]) if "client_secret" in client else None
    if auth is None:
        data["client_id"] = client["client_id"]
    return http.post("/token", data=data, auth=auth)


# -- Helpers shared by the tests/http modules ------------------------------------------------


class FakeClock:
    """A settable clock for ``runtime.provider.clock``: install it, then ``advance`` time."""

    def __init__(self, now: int | None = None) -> None:
        self.now = int(time.time()) if now is None else now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds


def install_clock(runtime: Any) -> FakeClock:
    clock = FakeClock()
    runtime.provider.clock = clock
    return clock


def past_retry_window(runtime: Any) -> None:
    """Move the provider's clock past the refresh retry window: a rotated refresh token shown
    again from now on is reuse, not a retry of a lost response."""
    clock = runtime.provider.clock
    if not isinstance(clock, FakeClock):
        clock = install_clock(runtime)
    clock.advance(runtime.provider.config.refresh_token_retry_window + 1)


def start_authorize(
    http: TestClient, client_id: str = "web", **overrides: Any
) -> tuple[Response, str]:
    """GET /authorize with the default parameters (override or drop one with ``name=None``)."""
    params, verifier = authorize_params(client_id, **overrides)
    return http.get("/authorize", params=params), verifier


def sign_in(http: TestClient, client_id: str = "web", **overrides: Any) -> FlowResult:
    """Run a full flow (login and consent as needed) and check it ended with a code."""
    result = run_flow(http, client_id, **overrides)
    assert "code" in result.params, result.location
    return result


def get_tokens(
    http: TestClient, client: dict[str, Any], *, redirect_uri: str = REDIRECT_URI, **overrides: Any
) -> dict[str, Any]:
    """Sign in through the pages and redeem the code; the token response body."""
    result = sign_in(http, client["client_id"], redirect_uri=redirect_uri, **overrides)
    response = redeem(
        http, result.params["code"], result.verifier, client, redirect_uri=redirect_uri
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_error_page(response: Response, error: str, status: int = 400) -> None:
    """An HTML error page at gatehouse (never a redirect) that shows the OAuth error code."""
    assert response.status_code == status, (response.status_code, response.headers.get("location"))
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert f"<code>{error}</code>" in response.text, response.text
    assert "Traceback" not in response.text


def assert_error_redirect(
    response: Response,
    error: str,
    *,
    state: str | None,
    redirect_uri: str = REDIRECT_URI,
    issuer: str = "http://testserver",
) -> dict[str, str]:
    """RFC 6749 §4.1.2.1 + RFC 9207: an error sent to the client's redirect URI, with state
    and iss. Returns the parameters."""
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    assert location.startswith(redirect_uri + ("&" if "?" in redirect_uri else "?")), location
    params = query_of(location)
    assert params["error"] == error, params
    assert params.get("error_description"), params
    assert params["iss"] == issuer
    assert params.get("state") == state
    assert "code" not in params
    return params


def error_description(response: Response) -> str:
    """The error_description of a redirect or a JSON error response."""
    if response.status_code in (302, 303):
        return query_of(response.headers["location"])["error_description"]
    return str(response.json()["error_description"])


def basic_auth(client_id: str, secret: str) -> str:
    """RFC 6749 §2.3.1: form-urlencode id and secret, then Basic-encode ``id:secret``."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()
