"""The UserInfo endpoint (OIDC Core §5.3): claims about the user, by granted scope.

An access token is for one audience (RFC 8707, docs/tokens.md): a token for an API does not
open UserInfo, or the API that receives it could read the user's profile with it. A client
that signed in with API scopes asks the token endpoint for a UserInfo token
(``resource=<issuer>/userinfo``), and the refusal says exactly that. A DPoP-bound token is
accepted with a proof for its key (protocol/dpop_resource.py).
"""

from __future__ import annotations

from typing import Any

from gatehouse.errors import InsufficientScope, InvalidToken
from gatehouse.protocol.claims import user_claims
from gatehouse.protocol.claims_request import ClaimsRequest, released_for
from gatehouse.protocol.dpop_resource import PresentedToken, check_sender
from gatehouse.protocol.issuance import USERINFO_CLAIMS
from gatehouse.protocol.liveness import live_access_token
from gatehouse.protocol.person_claims import group_values
from gatehouse.protocol.provider import Provider
from gatehouse.tokens.access_token import audiences_of


def userinfo(provider: Provider, presented: PresentedToken | str) -> dict[str, Any]:
    """The claims for the token; a plain string is a bearer token (RFC 6750)."""
    if isinstance(presented, str):
        presented = PresentedToken(presented, "Bearer")
    live = live_access_token(provider, presented.value, audience=None)
    claims = live.claims
    _is_for_userinfo(claims, provider.config.userinfo_endpoint)
    # RFC 9449 §7.1: a DPoP-bound token only with a proof made with its key.
    check_sender(provider, claims, presented, provider.config.userinfo_endpoint)
    scopes = str(claims.get("scope", "")).split()
    if "openid" not in scopes:
        raise InsufficientScope("the access token lacks the openid scope that UserInfo requires")
    if live.user is None:
        raise InvalidToken("UserInfo answers for a user; this access token is a client's own")
    # OIDC Core §5.5: the claims parameter's userinfo member, which the token carries.
    requested = ClaimsRequest.from_json({"userinfo": claims.get(USERINFO_CLAIMS) or {}})
    released = released_for(user_claims(live.user, scopes), requested.userinfo)
    return {"sub": live.user.id, **released, **_groups(provider, claims, live.user.id)}


def _groups(provider: Provider, claims: dict[str, Any], user_id: str) -> dict[str, Any]:
    """Every group of the person, for a client registered with a groups claim: where its
    tokens point when the person is in more groups than a token carries (person_claims.py)."""
    # The registration as the token endpoint reads it (cached for a few seconds).
    found = provider.clients.get_for_authentication(str(claims.get("client_id")))
    if found is None or found[0].groups_claim is None:
        return {}
    client = found[0]
    groups = provider.groups.access_of(user_id, None, groups=True).groups
    return {"groups": group_values(client, groups)} if groups else {}


def _is_for_userinfo(claims: dict[str, Any], endpoint: str) -> None:
    """RFC 9068 §4, RFC 8707 §2: the token's aud must name UserInfo."""
    audiences = audiences_of(claims)
    if endpoint in audiences:
        return
    shown = ", ".join(audiences)[:200] or "(none)"
    raise InvalidToken(
        f"the access token is not for this resource (aud must include {endpoint}; this one "
        f"is for {shown}): ask the token endpoint for a UserInfo token by sending "
        f"resource={endpoint} with the authorization code or a refresh token"
    )
