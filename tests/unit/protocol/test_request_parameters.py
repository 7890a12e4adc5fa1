"""protocol.request_parameters: plain parameters pass; a request_uri is resolved only when
/par issued it to this client, unused and unexpired; a client that must push cannot send
plain parameters or a request object by value."""

from __future__ import annotations

import pytest

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidRequest, InvalidRequestObject, InvalidRequestUri
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.par import push_authorization_request
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.request_parameters import REQUEST_URI_PREFIX, effective_parameters
from gatehouse.runtime import Runtime
from gatehouse.storage.records import PushedRequest
from tests.support.factories import REDIRECT_URI
from tests.support.flow import FakeClock
from tests.unit.protocol.conftest import Registered, register

REQUEST = {
    "response_type": "code",
    "redirect_uri": REDIRECT_URI,
    "scope": "openid",
}


def _push(provider: Provider, client: Registered) -> str:
    return push_authorization_request(provider, Parameters(REQUEST), client.basic, None).request_uri


def test_plain_parameters_pass_as_they_are(provider: Provider, web: Registered) -> None:
    params = Parameters({"client_id": "web", "scope": "openid"})
    assert effective_parameters(provider, params) is params
    unknown = Parameters({"client_id": "nobody"})  # left to the trust step
    assert effective_parameters(provider, unknown) is unknown


def test_a_request_uri_gives_the_pushed_parameters_once(
    provider: Provider, runtime: Runtime, web: Registered, clock: FakeClock
) -> None:
    register(runtime, "other")
    uri = _push(provider, web)
    query = Parameters({"client_id": "web", "request_uri": uri, "scope": "openid email"})
    with pytest.raises(InvalidRequestUri, match="not issued to this client"):
        effective_parameters(provider, Parameters({"client_id": "other", "request_uri": uri}))
    resolved = effective_parameters(provider, query)
    assert resolved["scope"] == "openid"
    assert resolved["client_id"] == "web"
    with pytest.raises(InvalidRequestUri, match="already used"):
        effective_parameters(provider, query)


@pytest.mark.parametrize(
    ("request_uri", "advance", "fragment"),
    [
        (REQUEST_URI_PREFIX + "made-up", 0, "not issued by this server"),
        ("https://app.example.com/r", 0, "does not fetch"),
        (None, 60, "expired"),
    ],
)
def test_refused_request_uris(
    provider: Provider,
    web: Registered,
    clock: FakeClock,
    request_uri: str | None,
    advance: int,
    fragment: str,
) -> None:
    uri = request_uri or _push(provider, web)
    clock.advance(advance)
    with pytest.raises(InvalidRequestUri, match=fragment) as caught:
        effective_parameters(provider, Parameters({"client_id": "web", "request_uri": uri}))
    assert caught.value.redirect is None


def test_a_client_that_must_push(provider: Provider, runtime: Runtime, clock: FakeClock) -> None:
    strict = register(runtime, "strict", require_pushed_authorization_requests=True)
    with pytest.raises(InvalidRequest, match="must push"):
        effective_parameters(provider, Parameters({"client_id": "strict", **REQUEST}))
    with pytest.raises(InvalidRequest, match="must push"):
        effective_parameters(provider, Parameters({"client_id": "strict", "request": "a.b.c"}))
    uri = _push(provider, strict)
    resolved = effective_parameters(
        provider, Parameters({"client_id": "strict", "request_uri": uri})
    )
    assert resolved["client_id"] == "strict"


def test_a_request_object_needs_its_client(provider: Provider, web: Registered) -> None:
    with pytest.raises(InvalidRequest, match="client_id parameter is required"):
        effective_parameters(provider, Parameters({"request": "a.b.c"}))
    with pytest.raises(InvalidRequestObject):
        effective_parameters(provider, Parameters({"client_id": "web", "request": "a.b.c"}))


def test_a_repeated_parameter_comes_back_repeated(
    provider: Provider, web: Registered, clock: FakeClock
) -> None:
    """RFC 8707 resource may repeat; the stored lists become Parameters.repeated again."""
    uri = REQUEST_URI_PREFIX + "r"
    provider.pushed_requests.create(
        PushedRequest(
            request_uri_hash=sha256_digest(uri),
            client_id="web",
            parameters={"client_id": ["web"], "resource": ["https://a", "https://b"]},
            created_at=clock.now,
            expires_at=clock.now + 60,
        )
    )
    resolved = effective_parameters(provider, Parameters({"client_id": "web", "request_uri": uri}))
    assert resolved["resource"] == "https://a"
    assert resolved.all("resource") == ("https://a", "https://b")
