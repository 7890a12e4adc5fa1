"""The JWS layer of an access token: parse, check the JOSE header, verify the signature.

Parsing (base64url, JSON) and signature verification are joserfc's; this module decides
which algorithm and which key are acceptable *before* joserfc is asked, so a token never
chooses how it is checked (RFC 8725 §3.1): the signature is checked by joserfc's
implementation of the one algorithm that is both allowed here and bound to the key.
joserfc's generic header checks are replaced by the stricter rules below (no ``crit``
extension is accepted; keys come only from the issuer's JWK Set, by ``kid``), which also
keeps its per-call overhead off the hot path.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwa import JWSAlgModel
from joserfc.jws import CompactSignature, JWSRegistry
from joserfc.util import urlsafe_b64decode

from gatehouse.rs.errors import InvalidToken
from gatehouse.rs.keys import VerificationKey

#: Asymmetric signature algorithms gatehouse.rs can verify (RFC 7518 §3.1).
SUPPORTED_ALGORITHMS: Final = (
    "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
)  # fmt: skip
DEFAULT_ALGORITHMS: Final = ("ES256", "RS256")
#: RFC 9068 §4: typ is at+jwt; RFC 7515 §4.1.9: the "application/" prefix may be present and
#: media types compare case-insensitively.
ACCESS_TOKEN_TYPES: Final = frozenset({"at+jwt", "application/at+jwt"})

# joserfc's implementation of each algorithm gatehouse.rs may verify, looked up once.
_ALGORITHMS: Final[dict[str, JWSAlgModel]] = {
    alg: JWSRegistry.algorithms[alg] for alg in SUPPORTED_ALGORITHMS
}
_PARSER: Final = JWSRegistry(algorithms=list(SUPPORTED_ALGORITHMS))


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6)")


# Python's json accepts NaN and Infinity; RFC 8259 does not, and an exp of Infinity never ends.
_CLAIMS_DECODER: Final = json.JSONDecoder(parse_constant=_no_constants)


def pin_algorithms(algorithms: Iterable[str]) -> frozenset[str]:
    """RFC 8725 §3.1-3.2: an explicit allow-list of asymmetric algorithms; never ``none``,
    never an HMAC (whose "secret" an attacker could take from the public JWK Set)."""
    pinned = frozenset(algorithms)
    if not pinned:
        raise ValueError("at least one algorithm must be allowed")
    for alg in sorted(pinned):
        if alg not in SUPPORTED_ALGORITHMS:
            raise ValueError(
                f"algorithm {alg!r} is not allowed; choose from {', '.join(SUPPORTED_ALGORITHMS)}"
            )
    return pinned


class ParsedToken:
    """A compact JWS, split and decoded but not yet trusted."""

    __slots__ = ("alg", "header", "kid", "signature")

    def __init__(self, signature: CompactSignature, header: dict[str, Any]) -> None:
        self.signature = signature
        self.header = header
        self.alg: str = header["alg"]
        self.kid: str = header["kid"]


def parse(token: str, allowed: frozenset[str]) -> ParsedToken:
    """RFC 7515 §7.1 compact serialization, then the JOSE header rules of RFC 9068 §4."""
    try:
        signature = jws.extract_compact(token.encode("ascii"), None, _PARSER)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise InvalidToken(_malformed(token, exc)) from None
    header = signature.protected
    _check_alg(header.get("alg"), allowed)
    _check_typ(header.get("typ"))
    if "crit" in header or "b64" in header:
        raise InvalidToken(
            "the token uses JWS extensions (crit or b64, RFC 7515 §4.1.11); access tokens use none"
        )
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("the token has no kid header naming the key that signed it")
    return ParsedToken(signature, header)


def _malformed(token: str, exc: Exception) -> str:
    if isinstance(exc, UnicodeError):
        return "the token is not a JWS: it has characters outside base64url (RFC 7515 §2)"
    if token.count(".") != 2:
        return "the token is not a JWT: a JWS has three dot-separated parts (RFC 7515 §7.1)"
    return f"the token is not a well-formed JWS ({str(exc) or type(exc).__name__})"


def _check_alg(alg: object, allowed: frozenset[str]) -> None:
    """RFC 8725 §3.1: the algorithm must be one this API allows, whatever the token says."""
    if isinstance(alg, str) and alg in allowed:
        return
    if isinstance(alg, str) and alg.lower() == "none":
        raise InvalidToken("the token is unsigned (alg none); access tokens must be signed")
    if isinstance(alg, str) and alg.upper().startswith("HS"):
        raise InvalidToken(f"alg {alg} (a shared-secret MAC) is never accepted for access tokens")
    shown = alg if isinstance(alg, str) and len(alg) <= 20 else "?"
    raise InvalidToken(f"alg {shown} is not allowed here (allowed: {', '.join(sorted(allowed))})")


def _check_typ(typ: object) -> None:
    """RFC 9068 §4, RFC 8725 §3.11: only a token typed at+jwt is an access token; this keeps
    an ID token (typ JWT) from being replayed as one."""
    if isinstance(typ, str) and typ.lower() in ACCESS_TOKEN_TYPES:
        return
    if typ is None:
        raise InvalidToken("the token has no typ header; an access token has typ at+jwt")
    shown = typ if isinstance(typ, str) and len(typ) <= 40 else "?"
    raise InvalidToken(f"the token's typ is {shown}, not at+jwt: it is not an access token")


def verify(token: ParsedToken, key: VerificationKey) -> dict[str, Any]:
    """RFC 7515 §5.2 steps 6-8: verify the signature over the encoded header and payload with
    ``key`` under the token's alg, which ``key`` was found to support; then RFC 7519 §7.2
    step 10: the payload is a JSON object."""
    segments = token.signature.segments
    try:
        signature = urlsafe_b64decode(segments["signature"])
        valid = _ALGORITHMS[token.alg].verify(
            segments["header"] + b"." + segments["payload"], signature, key.jwk
        )
    except (JoseError, ValueError, TypeError):
        valid = False
    if not valid:
        raise InvalidToken(f"the token's signature does not verify with key {key.kid}")
    try:
        claims = _CLAIMS_DECODER.decode(token.signature.payload.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InvalidToken("the token's payload is not JSON") from None
    if not isinstance(claims, dict):
        raise InvalidToken("the token's payload is not a JSON object")
    return claims
