"""OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414). Only what works is listed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gatehouse.accounts.assurance import SUPPORTED_ACR_VALUES
from gatehouse.protocol.authorize import PROMPT_VALUES
from gatehouse.protocol.claims import SUPPORTED_CLAIMS
from gatehouse.protocol.client_assertion import ASSERTION_ALGS, HMAC_ALGS
from gatehouse.protocol.client_auth import SUPPORTED_METHODS
from gatehouse.protocol.device import DEVICE_CODE_GRANT
from gatehouse.protocol.dpop import ALGS as DPOP_ALGS
from gatehouse.protocol.pkce import SUPPORTED_METHODS as PKCE_METHODS
from gatehouse.protocol.provider import ProviderConfig
from gatehouse.protocol.request_object import REQUEST_OBJECT_ALGS
from gatehouse.protocol.response_types import IMPLICIT, RESPONSE_MODES, RESPONSE_TYPES
from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.settings import SIGNING_ALGS


def openid_configuration(
    config: ProviderConfig,
    grant_types: list[str],
    custom_scopes: list[str],
    *,
    ui_locales: Sequence[str],
) -> dict[str, Any]:
    """``grant_types``: the token endpoint's; ``ui_locales``: the languages the pages can be
    shown in (web/i18n.py)."""
    issuer = config.issuer
    # RFC 8628 §4: where a device starts the device flow, when the grant is served.
    device = (
        {"device_authorization_endpoint": f"{issuer}/device_authorization"}
        if DEVICE_CODE_GRANT in grant_types
        else {}
    )
    return {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/authorize",
        "token_endpoint": f"{issuer}/token",
        "userinfo_endpoint": config.userinfo_endpoint,
        "jwks_uri": f"{issuer}/jwks",
        "end_session_endpoint": f"{issuer}/logout",
        **device,
        # Back-Channel Logout 1.0 §2.1 and Front-Channel Logout 1.0 §3: logout tokens and
        # front-channel URIs carry sid (and iss).
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True,
        "scopes_supported": [*STANDARD_SCOPES, *custom_scopes],
        # Every type and mode gatehouse answers; which of them a client may use is part of
        # its registration. The legacy implicit and password grants are listed too: they
        # work for the clients an operator gave them, and for no other (docs/flows.md).
        "response_types_supported": list(RESPONSE_TYPES),
        "response_modes_supported": list(RESPONSE_MODES),
        "grant_types_supported": [*grant_types, IMPLICIT],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": list(SIGNING_ALGS),
        "token_endpoint_auth_methods_supported": list(SUPPORTED_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": [*ASSERTION_ALGS, *HMAC_ALGS],
        "introspection_endpoint": f"{issuer}/introspect",
        "introspection_endpoint_auth_methods_supported": [
            m for m in SUPPORTED_METHODS if m != "none"
        ],
        "introspection_endpoint_auth_signing_alg_values_supported": [*ASSERTION_ALGS, *HMAC_ALGS],
        "revocation_endpoint": f"{issuer}/revoke",
        "revocation_endpoint_auth_methods_supported": list(SUPPORTED_METHODS),
        "revocation_endpoint_auth_signing_alg_values_supported": [*ASSERTION_ALGS, *HMAC_ALGS],
        "claims_supported": SUPPORTED_CLAIMS,
        # RFC 9449 §5.1: the algorithms of the DPoP proofs gatehouse accepts.
        "dpop_signing_alg_values_supported": list(DPOP_ALGS),
        "acr_values_supported": list(SUPPORTED_ACR_VALUES),
        "claims_parameter_supported": True,
        # RFC 9101 §10.1 and RFC 9126 §5: signed request objects by value and at /par;
        # request_uri only as /par issues it: gatehouse fetches no request object from a URL.
        "request_parameter_supported": True,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "request_object_signing_alg_values_supported": list(REQUEST_OBJECT_ALGS),
        "pushed_authorization_request_endpoint": f"{issuer}/par",
        "require_pushed_authorization_requests": False,
        "code_challenge_methods_supported": list(PKCE_METHODS),
        "prompt_values_supported": list(PROMPT_VALUES),
        "authorization_response_iss_parameter_supported": True,
        "claim_types_supported": ["normal"],
        "ui_locales_supported": list(ui_locales),
    }
