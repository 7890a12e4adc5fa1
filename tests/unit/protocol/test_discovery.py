"""protocol.discovery: the metadata lists what works, from the one definition of each
(OIDC Discovery 1.0 §3, RFC 8414 §2)."""

from __future__ import annotations

import pytest

from gatehouse.protocol.client_auth import SUPPORTED_METHODS
from gatehouse.protocol.discovery import openid_configuration
from gatehouse.protocol.provider import ProviderConfig
from gatehouse.protocol.scopes import STANDARD_SCOPES
from gatehouse.settings import SIGNING_ALGS

ISSUER = "https://id.example.com"
METADATA = openid_configuration(
    ProviderConfig(issuer=ISSUER), ["authorization_code"], ["reports"], ui_locales=("en", "de")
)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("issuer", ISSUER),
        ("authorization_endpoint", f"{ISSUER}/authorize"),
        ("token_endpoint", f"{ISSUER}/token"),
        ("userinfo_endpoint", f"{ISSUER}/userinfo"),
        ("jwks_uri", f"{ISSUER}/jwks"),
        ("end_session_endpoint", f"{ISSUER}/logout"),
        ("introspection_endpoint", f"{ISSUER}/introspect"),
        ("revocation_endpoint", f"{ISSUER}/revoke"),
        # The token endpoint's grants, and the implicit grant of the authorization endpoint.
        ("grant_types_supported", ["authorization_code", "implicit"]),
        (
            "response_types_supported",
            [
                "code",
                "id_token",
                "id_token token",
                "code id_token",
                "code token",
                "code id_token token",
            ],
        ),
        ("response_modes_supported", ["query", "fragment", "form_post"]),
        ("code_challenge_methods_supported", ["S256"]),
        ("id_token_signing_alg_values_supported", list(SIGNING_ALGS)),
        ("scopes_supported", [*STANDARD_SCOPES, "reports"]),
        ("token_endpoint_auth_methods_supported", list(SUPPORTED_METHODS)),
        ("authorization_response_iss_parameter_supported", True),
        # RFC 9101 §10.1, RFC 9126 §5: request objects by value and at /par; request_uri
        # only from /par (nothing is fetched from a URL); OIDC Core §5.5 claims.
        ("request_parameter_supported", True),
        ("request_uri_parameter_supported", False),
        ("request_object_signing_alg_values_supported", [*SIGNING_ALGS, "HS256"]),
        ("pushed_authorization_request_endpoint", f"{ISSUER}/par"),
        ("require_pushed_authorization_requests", False),
        ("claims_parameter_supported", True),
        ("ui_locales_supported", ["en", "de"]),
    ],
)
def test_metadata(field: str, value: object) -> None:
    assert METADATA[field] == value


def test_signing_algorithms_come_from_the_one_list() -> None:
    for field in (
        "token_endpoint_auth_signing_alg_values_supported",
        "introspection_endpoint_auth_signing_alg_values_supported",
        "revocation_endpoint_auth_signing_alg_values_supported",
    ):
        assert METADATA[field] == [*SIGNING_ALGS, "HS256"]


def test_introspection_needs_a_client_that_authenticates() -> None:
    assert "none" not in METADATA["introspection_endpoint_auth_methods_supported"]
    assert "none" in METADATA["revocation_endpoint_auth_methods_supported"]
