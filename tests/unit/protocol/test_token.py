"""protocol.token: authenticate, look the grant up, hand off (RFC 6749 §3.2, §5.2)."""

from __future__ import annotations

import pytest

from gatehouse.errors import (
    InvalidClient,
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from gatehouse.protocol.grants.base import Grant
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token import DEFAULT_GRANTS, token_endpoint
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.runtime import Runtime
from gatehouse.storage.records import Client, User
from tests.unit.protocol.conftest import Registered, issue, params, register


def test_the_registry_holds_the_grants() -> None:
    assert set(DEFAULT_GRANTS) == {
        "authorization_code",
        "refresh_token",
        "client_credentials",
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:device_code",
        "password",
    }
    assert all(grant_type == grant.grant_type for grant_type, grant in DEFAULT_GRANTS.items())


@pytest.mark.parametrize(
    ("values", "authenticated", "error", "message"),
    [
        ({}, True, InvalidRequest, "grant_type parameter is required"),
        ({"grant_type": "implicit"}, True, UnsupportedGrantType, "'implicit' is not supported"),
        ({"grant_type": "x" * 100}, True, UnsupportedGrantType, "supported: authorization_code"),
        ({"grant_type": "client_credentials"}, True, UnauthorizedClient, "not allowed to use"),
        ({"grant_type": "refresh_token"}, False, InvalidClient, "wrong client secret"),
    ],
    ids=["no-grant-type", "unknown", "long-unknown", "not-registered-for", "unauthenticated"],
)
def test_what_the_endpoint_refuses_before_a_grant_runs(
    provider: Provider,
    web: Registered,
    values: dict[str, str],
    authenticated: bool,
    error: type[OAuthError],
    message: str,
) -> None:
    authorization = web.basic if authenticated else web.basic[:-4] + "AAAA"
    with pytest.raises(error, match=message):
        token_endpoint(provider, params(**values), authorization)


def test_the_grant_type_is_checked_before_the_client_authenticates(provider: Provider) -> None:
    """No grant_type: invalid_request, whatever the credentials (RFC 6749 §5.2)."""
    with pytest.raises(InvalidRequest):
        token_endpoint(provider, params(), None)


def test_the_registered_grant_handles_the_request(
    provider: Provider, web: Registered, alice: User
) -> None:
    refresh_token = issue(provider, web.client, alice).refresh_token
    assert refresh_token is not None
    values = params(grant_type="refresh_token", refresh_token=refresh_token)
    assert token_endpoint(provider, values, web.basic).refresh_token


def test_a_custom_registry(runtime: Runtime, provider: Provider, web: Registered) -> None:
    seen: list[str] = []

    class Echo:
        grant_type = "urn:example:echo"

        def handle(self, provider: Provider, client: Client, params: Parameters) -> TokenResponse:
            seen.append(client.client_id)
            return TokenResponse(access_token="echo", expires_in=1, scope="")

    echo: Grant = Echo()
    echoing = register(runtime, "echoing", grant_types=["authorization_code"])
    with pytest.raises(UnauthorizedClient):
        token_endpoint(
            provider, params(grant_type=echo.grant_type), echoing.basic, {echo.grant_type: echo}
        )
    assert seen == []
    with pytest.raises(UnsupportedGrantType, match="supported: urn:example:echo"):
        token_endpoint(
            provider, params(grant_type="refresh_token"), web.basic, {"urn:example:echo": echo}
        )
