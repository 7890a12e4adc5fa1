"""web.errors: one renderer for every error; each row of the table by channel."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from gatehouse.errors import (
    AccessDenied,
    InsufficientScope,
    InvalidClient,
    InvalidRequest,
    InvalidToken,
    OAuthError,
)
from gatehouse.protocol.bearer import MissingToken
from gatehouse.runtime import Runtime
from gatehouse.web.app import create_app
from gatehouse.web.csrf import FormExpired
from gatehouse.web.errors import (
    SIGN_IN_PAGES,
    SIGN_OUT_PAGES,
    TOKEN_STYLE,
    USERINFO,
    Channel,
    renders_errors,
)
from tests.conftest import ISSUER
from tests.support.flow import query_of

CALLBACK = "https://app.example.com/cb"


@pytest.fixture
def answer(runtime: Runtime) -> Iterator[Any]:
    """``answer(exception, channel)``: the response of an endpoint that raised it."""
    app = create_app(runtime)
    raised: dict[str, Any] = {}

    async def failing(request: Request) -> Response:
        raise raised["exception"]

    with TestClient(app, base_url=ISSUER, follow_redirects=False) as client:

        def respond(exception: Exception, channel: Channel) -> Any:
            raised["exception"] = exception
            app.router.routes.insert(0, Route("/failing", renders_errors(channel)(failing)))
            try:
                return client.get("/failing")
            finally:
                app.router.routes.pop(0)

        yield respond


@pytest.mark.parametrize(
    ("error", "status", "challenge"),
    [
        (InvalidRequest("the grant_type parameter is required"), 400, None),
        # RFC 6749 §5.2 with RFC 9110 §15.5.2: a 401 carries a challenge.
        (InvalidClient("unknown client"), 401, 'Basic realm="gatehouse"'),
        (AccessDenied("not for you"), 403, None),
    ],
)
def test_token_style_errors_are_json_bodies(
    answer: Any, error: OAuthError, status: int, challenge: str | None
) -> None:
    response = answer(error, TOKEN_STYLE)
    assert response.status_code == status
    assert response.json() == {"error": error.error, "error_description": error.description}
    assert response.headers["cache-control"] == "no-store"
    assert response.headers.get("www-authenticate") == challenge


@pytest.mark.parametrize(
    ("error", "status", "challenge", "body_error"),
    [
        (
            InvalidToken("the access token has expired"),
            401,
            'Bearer realm="gatehouse", error="invalid_token", '
            'error_description="the access token has expired"',
            "invalid_token",
        ),
        # RFC 6750 §3.1: insufficient_scope names the scope the resource needs.
        (
            InsufficientScope("needs openid"),
            403,
            'Bearer realm="gatehouse", error="insufficient_scope", '
            'error_description="needs openid", scope="openid"',
            "insufficient_scope",
        ),
        (
            InvalidRequest('send "one" token \u2014 not two'),
            400,
            'Bearer realm="gatehouse", error="invalid_request", '
            "error_description=\"send 'one' token ? not two\"",
            "invalid_request",
        ),
        # RFC 6750 §3.1: no credentials at all, no error code.
        (MissingToken("send Authorization: Bearer"), 401, 'Bearer realm="gatehouse"', None),
    ],
)
def test_protected_resource_errors_carry_a_bearer_challenge(
    answer: Any, error: OAuthError, status: int, challenge: str, body_error: str | None
) -> None:
    response = answer(error, USERINFO)
    assert response.status_code == status
    assert response.headers["www-authenticate"] == challenge
    assert response.json().get("error") == body_error
    assert response.json()["error_description"] == error.description


@pytest.mark.parametrize(
    ("error", "channel", "status", "title"),
    [
        (InvalidRequest("no client"), SIGN_IN_PAGES, 400, "This sign-in request cannot be"),
        (InvalidRequest("no client"), SIGN_OUT_PAGES, 400, "This sign-out request cannot be"),
        (FormExpired("the form's security token"), SIGN_IN_PAGES, 403, "This form has expired"),
    ],
)
def test_untrusted_errors_are_pages_at_gatehouse(
    answer: Any, error: OAuthError, channel: Channel, status: int, title: str
) -> None:
    response = answer(error, channel)
    assert response.status_code == status
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert f"<title>{title}" in response.text
    assert error.description.replace("'", "&#39;") in response.text
    assert f"<code>{error.error}</code>" in response.text


@pytest.mark.parametrize("channel", [SIGN_IN_PAGES, TOKEN_STYLE, USERINFO])
@pytest.mark.parametrize("state", ["st", None])
def test_an_error_addressed_to_the_client_is_a_redirect(
    answer: Any, channel: Channel, state: str | None
) -> None:
    """RFC 6749 §4.1.2.1, RFC 9207: only an error the core addressed to a validated
    redirect URI goes there, with state and iss."""
    response = answer(AccessDenied("the user declined").to_client(CALLBACK, state), channel)
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "?")
    expected = {"error": "access_denied", "error_description": "the user declined", "iss": ISSUER}
    if state is not None:
        expected["state"] = state
    assert query_of(location) == expected


@pytest.mark.parametrize("channel", [TOKEN_STYLE, USERINFO, SIGN_IN_PAGES])
def test_anything_unexpected_is_a_server_error_with_a_correlation_id(
    answer: Any, channel: Channel, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="gatehouse"):
        response = answer(RuntimeError("database exploded: password=hunter2"), channel)
    assert response.status_code == 500
    reference = re.search(r"reference ([0-9a-f]{12})", response.text)
    assert reference is not None
    logged = [r for r in caplog.records if reference.group(1) in r.getMessage()]
    assert len(logged) == 1 and logged[0].exc_info is not None  # the traceback, in the log only
    assert "hunter2" not in response.text and "Traceback" not in response.text
    if channel.kind == "page":
        assert "Something went wrong on our side" in response.text
        assert "<code>server_error</code>" in response.text
    else:
        assert response.json()["error"] == "server_error"


# RFC 6749 §5.2 and §4.1.2.1, RFC 6750 §3: error_description = *( %x20-21 / %x23-5B / %x5D-7E )
ALLOWED_DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
HOSTILE_INPUT = 'scope "a\\b"\r\nX-Injected: 1 \x00 caf\u00e9 \u56de\u8c03 ' + "\\" * 10_000


@pytest.mark.parametrize("to_client", [False, True])
@pytest.mark.parametrize("channel", [SIGN_IN_PAGES, TOKEN_STYLE, USERINFO])
def test_no_channel_carries_request_input_raw(
    answer: Any, channel: Channel, to_client: bool
) -> None:
    """A description echoing hostile input reaches the JSON body, the redirect query, the
    Bearer challenge and the error page only in its reduced, allowed form."""
    error = InvalidRequest(f"the value {HOSTILE_INPUT} is not supported")
    response = answer(error.to_client(CALLBACK, "st") if to_client else error, channel)
    if to_client:
        described = [query_of(response.headers["location"])["error_description"]]
    elif channel.kind == "page":
        shown = re.search(r"the value [^<]*", response.text)
        assert shown is not None
        described = [shown.group(0).replace("&#39;", "'")]
    else:
        described = [response.json()["error_description"]]
        challenge = response.headers.get("www-authenticate")
        if challenge is not None:
            quoted = re.search(r'error_description="([^"]*)"', challenge)
            assert quoted is not None and challenge.endswith('"')
            described.append(quoted.group(1))
    for description in described:
        assert ALLOWED_DESCRIPTION.fullmatch(description), description
        assert description.startswith("the value scope 'a?b'??X-Injected: 1 ? caf? ?? ???")
        assert len(description) <= 500
