"""Which grant types and response types a client may be registered for: the flow rules of
``admin/client_spec.py`` that concern how the client obtains tokens (docs/flows.md).

The two legacy grants, ``implicit`` and ``password``, are never a default: an operator names
them for one client, and ``legacy_warnings`` says why each is a risk wherever the client is
shown.
"""

from __future__ import annotations

from collections.abc import Iterable

from gatehouse.admin.errors import AdminError
from gatehouse.protocol.device import DEVICE_CODE_GRANT
from gatehouse.protocol.grants.jwt_bearer import GRANT_TYPE as JWT_BEARER
from gatehouse.protocol.grants.password import PASSWORD
from gatehouse.protocol.grants.token_exchange import GRANT_TYPE as TOKEN_EXCHANGE
from gatehouse.protocol.response_types import (
    IMPLICIT,
    RESPONSE_TYPES,
    canonical,
    grant_of,
    returns_access_token,
    returns_code,
)
from gatehouse.protocol.token import DEFAULT_GRANTS
from gatehouse.storage.records import Client, ClientType

# Grants whose clients the browser is sent back to: they need a redirect URI.
REDIRECTING_GRANTS = ("authorization_code", IMPLICIT)
# The grants a refresh token can follow (the implicit grant never issues one, RFC 6749 §4.2.2).
REFRESH_ISSUING_GRANTS = ("authorization_code", DEVICE_CODE_GRANT, PASSWORD)

# The grants only a confidential client may use, and why.
CONFIDENTIAL_ONLY = {
    "client_credentials": "a public client cannot use client_credentials: a daemon or service "
    "with no user is a confidential client that holds its own credential (type confidential)",
    TOKEN_EXCHANGE: "a public client cannot use token exchange: the API that exchanges a "
    "user's token authenticates as its own confidential client",
    JWT_BEARER: "a public client cannot use the JWT bearer grant: its tokens carry app roles, "
    "which are for confidential clients (a workload is type confidential)",
    # A public client's id is no secret: anyone could use it to try passwords.
    PASSWORD: "a public client cannot use the password grant: without a client secret, anyone "
    "holding the client_id could use it to try passwords. Only a confidential legacy app on a "
    "server may be given it (docs/flows.md)",
}
# Grant types used at the authorization endpoint only, never at the token endpoint.
AUTHORIZATION_ENDPOINT_GRANTS = (IMPLICIT,)

# What a grant used at the authorization endpoint needs at least one of.
NEEDED_RESPONSE_TYPE = {"authorization_code": "'code'", IMPLICIT: "'id_token' or 'id_token token'"}

LEGACY_WARNINGS = {
    IMPLICIT: (
        "legacy implicit grant enabled: ID and access tokens travel in the browser's address "
        "bar or a posted form, where browser history, extensions and injected scripts can "
        "read them, and the tokens cannot be bound to the client (RFC 9700 §2.1.2); move the "
        "app to the code flow with PKCE"
    ),
    PASSWORD: (
        "legacy password grant enabled: the app sees the person's password, no second factor, "
        "passkey or consent page can be used, and accounts that need a second factor are "
        "refused (RFC 9700 §2.4); move the app to the code flow"
    ),
}


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def supported_grant_types() -> tuple[str, ...]:
    return (*DEFAULT_GRANTS, *AUTHORIZATION_ENDPOINT_GRANTS)


def checked_grant_types(requested: Iterable[str], client_type: ClientType) -> tuple[str, ...]:
    grants = _unique(requested)
    supported = supported_grant_types()
    unknown = [g for g in grants if g not in supported]
    if unknown:
        raise AdminError(
            f"unsupported grant type {unknown[0]!r}; supported: {', '.join(supported)}"
        )
    refused = [g for g in grants if g in CONFIDENTIAL_ONLY] if client_type == "public" else []
    if refused:
        raise AdminError(CONFIDENTIAL_ONLY[refused[0]])
    if "refresh_token" in grants and not any(g in REFRESH_ISSUING_GRANTS for g in grants):
        raise AdminError(
            "refresh_token needs a grant that issues refresh tokens: "
            + ", ".join(REFRESH_ISSUING_GRANTS)
        )
    return grants


def checked_response_types(
    requested: list[str] | None,
    kept: tuple[str, ...] | None,
    client_type: ClientType,
    grant_types: tuple[str, ...],
) -> tuple[str, ...]:
    """OIDC Core §3: each response type needs its grant (a type with a code the
    authorization_code grant, the others the implicit grant), and each of those grants
    needs a response type. With none ``requested``, the client keeps those of ``kept`` its
    grants still allow, and a client of the code flow has at least ``code``."""
    if requested is not None:
        wanted = [_known_response_type(value) for value in requested]
    else:
        wanted = [t for t in kept or () if grant_of(t) in grant_types]
        if "authorization_code" in grant_types and not any(returns_code(t) for t in wanted):
            wanted.insert(0, "code")
    response_types = _unique(wanted)
    for response_type in response_types:
        grant = grant_of(response_type)
        if grant not in grant_types:
            raise AdminError(
                f"response type {response_type!r} needs the {grant} grant (--grant-type {grant})"
            )
        if client_type == "public" and returns_code(response_type):
            _public_hybrid(response_type)
    for flow, needs in NEEDED_RESPONSE_TYPE.items():
        if flow in grant_types and not any(grant_of(t) == flow for t in response_types):
            raise AdminError(f"the {flow} grant needs a response type: add --response-type {needs}")
    return response_types


def _public_hybrid(response_type: str) -> None:
    """RFC 9700 §2.1.2: an access token in the authorization response is exposed in the
    browser. A public client gets its access token for its code, with PKCE."""
    if returns_access_token(response_type):
        raise AdminError(
            f"a public client cannot use response type {response_type!r}: it redeems its code "
            "with PKCE for the access token; the hybrid types that also return an access "
            "token are for web apps with a server"
        )


def _known_response_type(value: object) -> str:
    response_type = canonical(value.strip()) if isinstance(value, str) else None
    if response_type is None:
        raise AdminError(
            f"unsupported response type {str(value)[:60]!r}; supported: "
            + ", ".join(repr(t) for t in RESPONSE_TYPES)
        )
    return response_type


def legacy_warnings(client: Client) -> list[str]:
    """What `client show` warns of: each legacy grant the client was given."""
    return [warning for grant, warning in LEGACY_WARNINGS.items() if grant in client.grant_types]
