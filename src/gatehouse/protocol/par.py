"""The pushed authorization request endpoint (RFC 9126 §2).

A client sends its authorization request straight to gatehouse, authenticated as at the
token endpoint, and gets a ``request_uri`` to send the browser to /authorize with: the
request's parameters never pass through the browser, and an unverified one never starts a
sign-in. The request is validated here exactly as /authorize validates it (RFC 9126 §2.1:
a wrong redirect URI is refused now, not later), stored for a short time, and spent by its
first use (request_parameters.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.errors import InvalidRequest
from gatehouse.protocol.authorize import validate_request
from gatehouse.protocol.client_auth import authenticate_client
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.request_object import request_object_parameters
from gatehouse.protocol.request_parameters import REQUEST_URI_PREFIX
from gatehouse.storage.records import Client, PushedRequest

# Client authentication (RFC 6749 §2.3, RFC 7523): how the client proved itself here, not
# part of the authorization request.
AUTHENTICATION_PARAMETERS = frozenset(
    {"client_secret", "client_assertion", "client_assertion_type"}
)


@dataclass(frozen=True)
class PushedAuthorizationResponse:
    """RFC 9126 §2.2: 201 Created with the request_uri and its lifetime."""

    request_uri: str
    expires_in: int

    def to_json(self) -> dict[str, Any]:
        return {"request_uri": self.request_uri, "expires_in": self.expires_in}


def push_authorization_request(
    provider: Provider, params: Parameters, authorization: str | None, address: str | None
) -> PushedAuthorizationResponse:
    """RFC 9126 §2.1: authenticate the client, take the request's parameters (from its
    request object when it sent one), validate them as /authorize would, store them."""
    client = authenticate_client(provider, params, authorization, address)
    if "request_uri" in params:
        raise InvalidRequest(
            "request_uri is not allowed at the pushed authorization request endpoint "
            "(RFC 9126 §2.1); push the parameters or a request object"
        )
    request = _authorization_parameters(provider, client, params)
    validate_request(provider, request)
    request_uri = REQUEST_URI_PREFIX + random_token()
    now = provider.clock()
    lifetime = provider.config.pushed_request_lifetime
    provider.pushed_requests.create(
        PushedRequest(
            request_uri_hash=sha256_digest(request_uri),
            client_id=client.client_id,
            parameters={name: list(request.all(name)) for name in request},
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return PushedAuthorizationResponse(request_uri, lifetime)


def _authorization_parameters(provider: Provider, client: Client, params: Parameters) -> Parameters:
    """The authorization request: the request object's parameters when there is one (RFC
    9126 §3, RFC 9101 §5: only they count), else the body without the client's credentials;
    client_id is always the authenticated client's."""
    if "request" in params:
        request = request_object_parameters(provider, client, params["request"])
    else:
        request = Parameters(
            {k: v for k, v in params.entries.items() if k not in AUTHENTICATION_PARAMETERS},
            params.repeated,
        )
    return Parameters({**request.entries, "client_id": client.client_id}, request.repeated)
