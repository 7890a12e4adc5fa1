"""DPoP at gatehouse's own protected resource, UserInfo (RFC 9449 §7).

A request presents its access token as ``Authorization: Bearer`` (RFC 6750) or
``Authorization: DPoP`` with a proof for this request and this token (§7.1). A DPoP-bound
token (one with cnf.jkt) is accepted only the second way, with a proof made with its key;
a bearer token only the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gatehouse.errors import InvalidDPoPProof, InvalidRequest, InvalidToken
from gatehouse.protocol.bearer import bearer_token
from gatehouse.protocol.dpop import ProofRequest, verify_proof
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider

Scheme = Literal["Bearer", "DPoP"]


@dataclass(frozen=True)
class PresentedToken:
    """An access token as a request presented it, with the request's DPoP header values
    and method (what a proof must be made for)."""

    value: str
    scheme: Scheme
    proofs: tuple[str, ...] = ()
    method: str = "GET"


class DPoPBoundTokenAsBearer(InvalidToken):
    """§7.1: a DPoP-bound token sent as a bearer token; the challenge names DPoP."""


def presented_token(
    authorization: str | None,
    form: Parameters | None,
    proofs: tuple[str, ...] = (),
    method: str = "GET",
) -> PresentedToken:
    """RFC 9449 §7.1 ``Authorization: DPoP <token>``, else RFC 6750 §2 (bearer.py)."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "dpop":
        return PresentedToken(bearer_token(authorization, form), "Bearer", proofs, method)
    if form is not None and "access_token" in form:
        raise InvalidRequest("send the access token once: in the Authorization header or the body")
    if not value.strip():
        raise InvalidRequest("the Authorization header has no token: send DPoP <access token>")
    return PresentedToken(value.strip(), "DPoP", proofs, method)


def check_sender(
    provider: Provider, claims: Mapping[str, Any], presented: PresentedToken, uri: str
) -> None:
    """§7.1: the token is presented as its binding requires; a bound one with a proof for
    this request (``uri``), this token (ath) and the key it is bound to (§4.3 step 12)."""
    jkt = bound_key(claims)
    if presented.scheme == "Bearer":
        if jkt is not None:
            raise DPoPBoundTokenAsBearer(
                "this access token is DPoP-bound: send it as Authorization: DPoP <access token> "
                "with a DPoP proof"
            )
        return
    if jkt is None:
        raise InvalidToken(
            "this access token is not DPoP-bound: send it as Authorization: Bearer <access token>"
        )
    request = ProofRequest(presented.proofs, presented.method, uri, presented.value)
    proof = verify_proof(provider, request)
    if proof is None:
        raise InvalidDPoPProof("a DPoP-bound access token needs a DPoP proof in the DPoP header")
    if proof.jkt != jkt:
        raise InvalidDPoPProof(
            "the DPoP proof is made with another key than the one the access token is bound to"
        )


def bound_key(claims: Mapping[str, Any]) -> str | None:
    """RFC 9449 §6.1: the thumbprint in cnf.jkt, or None for a bearer token."""
    cnf = claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None
