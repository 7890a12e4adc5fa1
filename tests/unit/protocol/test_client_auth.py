"""protocol.client_auth: client authentication at the token endpoint (RFC 6749 §2.3)."""

from __future__ import annotations

import base64
from dataclasses import replace

import pytest

from gatehouse.errors import InvalidClient, InvalidRequest
from gatehouse.protocol import client_auth
from gatehouse.protocol.client_auth import (
    InvalidClientBasic,
    authenticate_client,
    parse_basic,
    presented_credentials,
)
from gatehouse.protocol.messages import Parameters
from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_public_client


def b64(raw: str | bytes) -> str:
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return base64.b64encode(data).decode("ascii")


@pytest.mark.parametrize(
    ("decoded", "expected"),
    [
        ("web:s3cret", ("web", "s3cret")),
        ("web:", ("web", "")),
        # RFC 6749 §2.3.1: both parts are application/x-www-form-urlencoded first.
        ("my%3Aclient:p%40ss+w%2Brd%25", ("my:client", "p@ss w+rd%")),
        ("web:se:cret", ("web", "se:cret")),  # the first colon separates
        ("w%C3%A9b:x", ("w\u00e9b", "x")),
        ("w\u00e9b:x", ("w\u00e9b", "x")),
    ],
)
def test_parse_basic(decoded: str, expected: tuple[str, str]) -> None:
    assert parse_basic(b64(decoded)) == expected


def test_parse_basic_ignores_surrounding_whitespace() -> None:
    assert parse_basic(f"  {b64('web:s')}  ") == ("web", "s")


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("!!!!", "not valid base64"),
        ("d2ViOnM", "not valid base64"),  # missing padding
        (b64("web:s") + "*", "not valid base64"),
        (b64(b"\xff\xfe:secret"), "not valid base64"),  # not UTF-8
        (b64("websecret"), "client_id:client_secret"),
        (b64(":secret"), "client_id:client_secret"),
        (b64(""), "client_id:client_secret"),
        ("", "client_id:client_secret"),
    ],
)
def test_parse_basic_rejects_malformed_headers(header: str, message: str) -> None:
    with pytest.raises(InvalidClientBasic, match=message) as caught:
        parse_basic(header)
    assert caught.value.error == "invalid_client"
    assert caught.value.status_code == 401


@pytest.mark.parametrize(
    ("params", "authorization", "expected"),
    [
        ({}, f"Basic {b64('web:s')}", ("client_secret_basic", "web", "s")),
        ({}, f"basic {b64('web:s')}", ("client_secret_basic", "web", "s")),
        ({"client_id": "web"}, f"Basic {b64('web:s')}", ("client_secret_basic", "web", "s")),
        ({"client_id": "web", "client_secret": "s"}, None, ("client_secret_post", "web", "s")),
        ({"client_id": "spa"}, None, ("none", "spa", None)),
        # Another scheme is not client authentication; the body decides.
        ({"client_id": "spa"}, "Bearer abc", ("none", "spa", None)),
    ],
)
def test_presented_credentials(
    params: dict[str, str], authorization: str | None, expected: tuple[str, str, str | None]
) -> None:
    presented = presented_credentials(Parameters(params), authorization)
    assert (presented.method, presented.client_id, presented.secret) == expected


@pytest.mark.parametrize(
    ("params", "authorization", "error"),
    [
        # RFC 6749 §2.3: one method per request.
        ({"client_secret": "s"}, f"Basic {b64('web:s')}", InvalidRequest),
        ({"client_id": "other"}, f"Basic {b64('web:s')}", InvalidRequest),
        ({}, None, InvalidClient),
        ({"client_secret": "s"}, None, InvalidClient),
    ],
)
def test_presented_credentials_rejects(
    params: dict[str, str], authorization: str | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        presented_credentials(Parameters(params), authorization)


# -- against stored clients (SQLite and PostgreSQL) --------------------------------------------


def _basic(client_id: str, secret: str) -> str:
    return f"Basic {b64(f'{client_id}:{secret}')}"


def test_authenticate_with_the_registered_method(runtime: Runtime) -> None:
    secret = make_client(runtime, "web")["client_secret"]
    post = make_client(runtime, "post", auth_method="client_secret_post")["client_secret"]
    make_public_client(runtime, "spa")
    provider = runtime.provider
    assert authenticate_client(provider, Parameters({}), _basic("web", secret)).client_id == "web"
    form = Parameters({"client_id": "post", "client_secret": post})
    assert authenticate_client(provider, form, None).client_id == "post"
    assert authenticate_client(provider, Parameters({"client_id": "spa"}), None).client_id == "spa"


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("wrong secret basic", InvalidClientBasic, "wrong client secret"),
        ("wrong secret post", InvalidClient, "wrong client secret"),
        ("empty secret", InvalidClientBasic, "wrong client secret"),
        ("unknown client", InvalidClientBasic, "unknown client"),
        ("no secret for confidential", InvalidClient, "must authenticate with client_secret_basic"),
        ("post for a basic client", InvalidClient, "must authenticate with client_secret_basic"),
        ("secret for a public client", InvalidClientBasic, "public client"),
        ("secret of another client", InvalidClientBasic, "wrong client secret"),
    ],
)
def test_authentication_failures(
    runtime: Runtime, case: str, error: type[InvalidClient], message: str
) -> None:
    secret = make_client(runtime, "web")["client_secret"]
    other = make_client(runtime, "other")["client_secret"]
    make_public_client(runtime, "spa")
    request = {
        "wrong secret basic": ({}, _basic("web", secret + "x")),
        "wrong secret post": ({"client_id": "post", "client_secret": "x" * 43}, None),
        "empty secret": ({}, _basic("web", "")),
        "unknown client": ({}, _basic("nobody", secret)),
        "no secret for confidential": ({"client_id": "web"}, None),
        "post for a basic client": ({"client_id": "web", "client_secret": secret}, None),
        "secret for a public client": ({}, _basic("spa", "x" * 43)),
        "secret of another client": ({}, _basic("web", other)),
    }[case]
    if case == "wrong secret post":
        make_client(runtime, "post", auth_method="client_secret_post")
    with pytest.raises(error, match=message) as caught:
        authenticate_client(runtime.provider, Parameters(request[0]), request[1])
    assert type(caught.value) is error
    assert caught.value.status_code == 401


def test_an_expired_secret_no_longer_authenticates(runtime: Runtime) -> None:
    secret = make_client(runtime, "web")["client_secret"]
    stored = runtime.store.clients.secrets("web")[0]
    runtime.store.clients.replace_secrets("web", replace(stored, expires_at=1))
    with pytest.raises(InvalidClientBasic, match="expired or was revoked"):
        authenticate_client(runtime.provider, Parameters({}), _basic("web", secret))


def test_secrets_are_compared_in_constant_time(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = make_client(runtime, "web")["client_secret"]
    calls: list[object] = []

    def spy(a: str | bytes, b: str | bytes) -> bool:
        calls.append((a, b))
        return a == b

    monkeypatch.setattr(client_auth, "constant_time_equals", spy)
    authenticate_client(runtime.provider, Parameters({}), _basic("web", secret))
    assert len(calls) == 1


def test_a_revoked_secret_no_longer_authenticates(runtime: Runtime) -> None:
    secret = make_client(runtime, "web")["client_secret"]
    stored = runtime.store.clients.secrets("web")[0]
    runtime.store.clients.replace_secrets("web", replace(stored, revoked_at=1))
    with pytest.raises(InvalidClientBasic, match="expired or was revoked"):
        authenticate_client(runtime.provider, Parameters({}), _basic("web", secret))
