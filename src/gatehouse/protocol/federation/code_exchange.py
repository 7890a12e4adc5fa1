"""The callback's authorization code, exchanged at the upstream's token endpoint (OpenID
Connect Core 1.0 §3.1.3.1, RFC 6749 §4.1.3) with the PKCE verifier (RFC 7636 §4.5),
gatehouse authenticating as its client there: client_secret_basic unless the upstream
offers only client_secret_post (Core §9; RFC 6749 §2.3.1 form-encodes both parts of the
Basic credentials)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from gatehouse.keys.discovery import UpstreamEndpoints
from gatehouse.keys.encryption import KeyDecryptionError, KeyEncryptor
from gatehouse.keys.remote import JwksFetchError, download_json, post_form_json
from gatehouse.protocol.federation.errors import FederationFailed
from gatehouse.protocol.federation.sealed import open_secret
from gatehouse.storage.federation import UpstreamProvider

SOURCE = "the upstream's token endpoint"
USERINFO = "the upstream's UserInfo endpoint"


@dataclass(frozen=True)
class UpstreamTokens:
    id_token: str = field(repr=False)
    access_token: str | None = field(repr=False)


def exchange_code(
    encryptor: KeyEncryptor,
    upstream: UpstreamProvider,
    endpoints: UpstreamEndpoints,
    *,
    code: str,
    verifier: str,
    redirect_uri: str,
) -> UpstreamTokens:
    """The upstream's tokens for ``code``; FederationFailed (reason "token_endpoint")
    when the upstream refuses or cannot be reached."""
    alias = upstream.alias
    try:
        secret = open_secret(encryptor, upstream.client_secret, alias=alias)
    except KeyDecryptionError:
        raise FederationFailed(
            "token_endpoint",
            f"the client secret of {alias!r} cannot be decrypted: GATEHOUSE_SECRET_KEY is not "
            "the key it was stored with (set it again with `gatehouse federation update`)",
            alias=alias,
        ) from None
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
    }
    headers: dict[str, str] = {}
    methods = endpoints.token_auth_methods
    if "client_secret_basic" in methods or "client_secret_post" not in methods:
        pair = f"{quote(upstream.client_id, safe='')}:{quote(secret, safe='')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    else:
        form |= {"client_id": upstream.client_id, "client_secret": secret}
    try:
        answer = post_form_json(endpoints.token_endpoint, form, source=SOURCE, headers=headers)
    except JwksFetchError as exc:
        raise FederationFailed("token_endpoint", str(exc), alias=alias) from None
    id_token, access_token = answer.get("id_token"), answer.get("access_token")
    if isinstance(id_token, str) and "error" not in answer:
        return UpstreamTokens(id_token, access_token if isinstance(access_token, str) else None)
    error = answer.get("error")
    shown = error[:100] if isinstance(error, str) else "no ID token"
    raise FederationFailed("token_endpoint", f"{SOURCE} refused the code ({shown})", alias=alias)


def userinfo_claims(
    endpoints: UpstreamEndpoints, tokens: UpstreamTokens, claims: Mapping[str, Any], alias: str
) -> dict[str, Any]:
    """The ID token's claims, completed from the upstream's UserInfo (OIDC Core §5.3): many
    providers, gatehouse among them, release profile and email claims there rather than in
    the ID token. Its ``sub`` must be the ID token's (§5.3.2), or none of it is used; the
    ID token's own claims win."""
    if endpoints.userinfo_endpoint is None or tokens.access_token is None:
        return dict(claims)
    bearer = {"Authorization": f"Bearer {tokens.access_token}"}
    try:
        found = download_json(endpoints.userinfo_endpoint, source=USERINFO, headers=bearer)
    except JwksFetchError as exc:
        raise FederationFailed("token_endpoint", str(exc), alias=alias) from None
    if found.get("sub") != claims["sub"]:
        raise FederationFailed(
            "id_token", f"{USERINFO} answered for another subject than the ID token", alias=alias
        )
    return {**found, **claims}
