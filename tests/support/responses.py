"""Reading an authorization response in any response mode, the way a client would: from the
query or fragment of the redirect, or from the fields of a form_post page."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from httpx2 import Response
from starlette.testclient import TestClient

from tests.support.factories import PASSWORD
from tests.support.flow import authorize_params, query_of, submit_consent, submit_login

FORM = re.compile(r'<form method="post" action="([^"]*)" class="form-post"')
FIELD = re.compile(r'<input type="hidden" name="([^"]*)" value="([^"]*)">')


@dataclass
class ClientResponse:
    """Where the response went (the redirect URI), how, and its parameters."""

    redirect_uri: str
    mode: str
    params: dict[str, str]
    verifier: str


def read_response(response: Response, verifier: str = "") -> ClientResponse:
    """The authorization response a redirect or a form_post page carries."""
    if response.status_code == 200 and FORM.search(response.text):
        return read_form_post(response.text, verifier)
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    parts = urlsplit(location)
    base = location.split("#")[0].split("?")[0]
    if parts.fragment:
        params = {k: v[0] for k, v in parse_qs(parts.fragment).items()}
        return ClientResponse(base, "fragment", params, verifier)
    return ClientResponse(base, "query", query_of(location), verifier)


def read_form_post(page: str, verifier: str = "") -> ClientResponse:
    action = FORM.search(page)
    assert action is not None, page
    fields = {html.unescape(n): html.unescape(v) for n, v in FIELD.findall(page)}
    return ClientResponse(html.unescape(action.group(1)), "form_post", fields, verifier)


def flow_response(
    http: TestClient,
    client_id: str = "web",
    *,
    login: str = "alice",
    password: str = PASSWORD,
    **overrides: Any,
) -> tuple[Response, str]:
    """Through the login and consent pages to the response for the client: a redirect or
    a form_post page; and the PKCE verifier."""
    params, verifier = authorize_params(client_id, **overrides)
    response = http.get("/authorize", params=params)
    for _ in range(6):
        location = response.headers.get("location", "")
        if response.status_code in (302, 303) and location.startswith("/login"):
            response = submit_login(http, location, login, password)
        elif response.status_code in (302, 303) and location.startswith("/consent"):
            response = submit_consent(http, location)
        else:
            return response, verifier
    raise AssertionError("too many redirects")


def run_to_client(http: TestClient, client_id: str = "web", **overrides: Any) -> ClientResponse:
    response, verifier = flow_response(http, client_id, **overrides)
    return read_response(response, verifier)
