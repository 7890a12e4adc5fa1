"""The token endpoint (RFC 6749 §3.2, §5): authenticate the client, look the grant up in the
registry, let the grant handle the request."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from gatehouse.errors import (
    InvalidDPoPProof,
    InvalidRequest,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from gatehouse.protocol.client_auth import authenticate_client
from gatehouse.protocol.dpop import ProofRequest, verify_proof
from gatehouse.protocol.grants.authorization_code import AuthorizationCodeGrant
from gatehouse.protocol.grants.base import Grant
from gatehouse.protocol.grants.client_credentials import ClientCredentialsGrant
from gatehouse.protocol.grants.device_code import DeviceCodeGrant
from gatehouse.protocol.grants.jwt_bearer import JwtBearerGrant
from gatehouse.protocol.grants.password import PasswordGrant
from gatehouse.protocol.grants.refresh_token import RefreshTokenGrant
from gatehouse.protocol.grants.token_exchange import TokenExchangeGrant
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse

DEFAULT_GRANTS: Mapping[str, Grant] = {
    grant.grant_type: grant
    for grant in (
        AuthorizationCodeGrant(),
        RefreshTokenGrant(),
        ClientCredentialsGrant(),
        TokenExchangeGrant(),
        JwtBearerGrant(),
        DeviceCodeGrant(),
        # Legacy, for the clients an operator gave it only (docs/flows.md).
        PasswordGrant(),
    )
}


def token_endpoint(
    provider: Provider,
    params: Parameters,
    authorization: str | None,
    grants: Mapping[str, Grant] = DEFAULT_GRANTS,
    *,
    address: str | None = None,
    dpop: tuple[str, ...] = (),
) -> TokenResponse:
    """``address``: the caller's, by which failed client authentications are counted;
    ``dpop``: the request's DPoP header values (RFC 9449 §5)."""
    grant_type = params.get("grant_type")
    if grant_type is None:
        raise InvalidRequest("the grant_type parameter is required")
    client = authenticate_client(provider, params, authorization, address)
    grant = grants.get(grant_type)
    if grant is None:
        raise UnsupportedGrantType(
            f"grant_type {grant_type[:60]!r} is not supported; supported: {', '.join(grants)}"
        )
    if grant_type not in client.grant_types:
        raise UnauthorizedClient(f"this client is not allowed to use the {grant_type} grant")
    proof = (
        verify_proof(provider, ProofRequest(dpop, "POST", provider.config.token_endpoint))
        if dpop
        else None
    )
    if proof is None:
        if client.require_dpop:
            raise InvalidDPoPProof("this client must send a DPoP proof with every token request")
        return _as_asked(grant.handle(provider, client, params, address=address), params)
    # RFC 9449 §5: the tokens are bound to the proof's key, and their type is DPoP.
    response = grant.handle(provider.bound_to(proof.jkt), client, params, address=address)
    bound = dataclasses.replace(response, token_type="DPoP")  # noqa: S106 - a type, no secret
    return _as_asked(bound, params)


def _as_asked(response: TokenResponse, params: Parameters) -> TokenResponse:
    """Entra's client_info (tokens/entra.py) only for a request that asks with
    client_info=1, as Entra ID answers: MSAL always asks."""
    if response.client_info is None or params.get("client_info") == "1":
        return response
    return dataclasses.replace(response, client_info=None)
