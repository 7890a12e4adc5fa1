"""The Entra token profile: the claims of Microsoft identity platform v2.0 tokens, so that an
application or API written with Microsoft's libraries accepts gatehouse's tokens after
changing only its authority (docs/microsoft-compatibility.md).

An API registered with the ``entra`` profile gets these claims in its access tokens beside
RFC 9068's, and a client registered with it gets ``oid``, ``tid`` and ``ver`` in its ID
tokens. Every Entra claim is derived from a claim or fact gatehouse already has; none
carries a meaning of its own. ``roles`` needs nothing here: RFC 9068 §2.2.3.1 tokens carry
it already, under the same name and in the same shape (an array).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, Final

from gatehouse.storage.records import Client

# An API's profile (Api.token_profile): RFC 9068 alone, or with Entra's claims.
API_PROFILES: Final = ("rfc9068", "entra")
# A client's profile (Client.token_profile): OIDC Core's ID tokens, or with Entra's claims.
CLIENT_PROFILES: Final = ("oidc", "entra")
ENTRA: Final = "entra"
# The version of the tokens emulated: v2.0, whose scp holds scope names without the API's
# prefix and whose azp/azpacr name the client (v1.0's appid/appidacr are not emulated).
VERSION: Final = "2.0"

# The claims each kind of token gains (introspection shows them; discovery lists these of
# the ID token in claims_supported).
ACCESS_TOKEN_CLAIMS: Final = ("oid", "tid", "ver", "azp", "azpacr", "idtyp", "scp")
ID_TOKEN_CLAIMS: Final = ("oid", "tid", "ver")

# azpacr, how the client authenticated: "0" a public client, "1" a shared secret, "2" a
# key pair. A confidential workload without a method of its own (auth_method "none", the
# JWT bearer grant) proves itself with an assertion its issuer signed: "2".
_AZPACR: Final[Mapping[str, str]] = {
    "client_secret_basic": "1",
    "client_secret_post": "1",
    "client_secret_jwt": "1",
    "private_key_jwt": "2",
    "none": "2",
}


def client_auth_class(client: Client) -> str:
    """The ``azpacr`` of a client: "0" when public, else by how it authenticates."""
    return "0" if client.is_public else _AZPACR[client.auth_method]


def access_token_claims(
    client: Client | None,
    *,
    subject: str,
    scopes: tuple[str, ...],
    tenant_id: str,
    app_only: bool,
) -> dict[str, Any]:
    """The Entra claims of an access token for an API of the entra profile, beside RFC
    9068's ``sub`` (``subject``), ``client_id`` (``client``'s) and ``scope`` (``scopes``, the
    API's scope names without its prefix):

    - ``oid``: ``sub``, gatehouse's stable, non-pairwise id of the user (delegated) or of
      the client acting as itself (``app_only``; Entra puts the service principal's id);
    - ``tid``: the tenant's name; ``ver``: "2.0";
    - ``azp``: ``client_id`` under Entra's name; ``azpacr``: how that client authenticated;
    - ``scp``: in delegated tokens, ``scope`` under Entra's name (space-separated names);
      absent in app-only tokens, whose permissions are their ``roles``;
    - ``idtyp``: "app" or "user" (Entra's optional claim), because gatehouse's ``oid``
      equals ``sub``, which libraries otherwise take as the mark of an app-only token.

    ``client`` is None only for a client deleted while its token was being made: the
    claims that describe it are left out rather than guessed.
    """
    claims: dict[str, Any] = {
        "oid": subject,
        "tid": tenant_id,
        "ver": VERSION,
        "idtyp": "app" if app_only else "user",
    }
    if client is not None:
        claims.update(azp=client.client_id, azpacr=client_auth_class(client))
    if not app_only and scopes:
        claims["scp"] = " ".join(scopes)
    return claims


def tenant_claim(tenant_id: str) -> dict[str, Any]:
    """``tid`` alone: what every token issued to a multi-tenant client carries, whatever the
    profile, so that an API serving several tenants can tell them apart (docs/multi-tenant-
    apps.md); the entra profile's claims include it already."""
    return {"tid": tenant_id}


def id_token_claims(client: Client, *, subject: str, tenant_id: str) -> dict[str, Any]:
    """``oid`` (the user's stable id, as ``sub``), ``tid`` and ``ver`` of an ID token for
    ``client`` when it has the entra profile: what MSAL's account model is keyed by."""
    if client.token_profile != ENTRA:
        return {}
    return {"oid": subject, "tid": tenant_id, "ver": VERSION}


def client_info(client: Client, *, subject: str, tenant_id: str) -> str | None:
    """Entra's ``client_info`` token response member for a client of the entra profile:
    base64url JSON of ``uid`` (the oid) and ``utid`` (the tid), from which MSAL makes an
    account's home_account_id, "oid.tid"."""
    if client.token_profile != ENTRA:
        return None
    document = json.dumps({"uid": subject, "utid": tenant_id}, separators=(",", ":"))
    return base64.urlsafe_b64encode(document.encode("utf-8")).rstrip(b"=").decode("ascii")
