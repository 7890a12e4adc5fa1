"""DPoP at an API (RFC 9449 §7): a DPoP-bound access token is good only with a proof,
made for this very request with the key the token is bound to.

:class:`DPoPVerifier` checks a proof as RFC 9449 §4.3 lists the checks (one header, typ,
alg, a public jwk, the signature, htm, htu, iat, ath) and that its key is the one in the
token's ``cnf.jkt`` (§6.1); a proof is accepted once (its ``jti`` is remembered in memory,
per process, until the proof is too old anyway). Signatures are joserfc's, with the
algorithm pinned before the proof is looked at.

The integrations (:class:`~gatehouse.rs.asgi.BearerAuthMiddleware`,
:class:`~gatehouse.rs.starlette.RequireToken`) use it through :func:`check_presentation`:
a bound token must come as ``Authorization: DPoP`` with a proof; a bearer token as
``Authorization: Bearer``.
"""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, OKPKey, RSAKey
from joserfc.jws import JWSRegistry, extract_compact

from gatehouse.rs.errors import InvalidDPoPProof, InvalidToken
from gatehouse.rs.keys import MIN_RSA_BITS
from gatehouse.rs.token import AccessToken

#: RFC 9449 §4.2: asymmetric algorithms a proof may use, with the key each needs.
PROOF_ALGORITHMS: Final = {
    "ES256": ("EC", "P-256"),
    "RS256": ("RSA", None),
    "PS256": ("RSA", None),
    "Ed25519": ("OKP", "Ed25519"),  # RFC 9864
}
_PRIVATE_MEMBERS: Final = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "r", "t", "k"})
_MAX_PROOF: Final = 8 * 1024
_MAX_JTI: Final = 256
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


class _Registry(JWSRegistry):
    max_header_length = 4096  # the header carries the public key; an RSA one is long


# Built once: joserfc copies its header registry into every new one.
_HEADER_PARSER: Final = _Registry()
_VERIFIERS: Final = {alg: _Registry(algorithms=[alg]) for alg in PROOF_ALGORITHMS}


class DPoPVerifier:
    """Checks DPoP proofs for one API process.

    :param algorithms: the proof algorithms accepted (a subset of :data:`PROOF_ALGORITHMS`).
    :param max_age: seconds a proof is accepted after its ``iat`` (and its jti remembered).
    :param leeway: seconds a proof's ``iat`` may lie ahead of this clock.
    :param replay_cache_size: the most jtis remembered; beyond it the oldest are forgotten
        (and proofs as old as they are refused as too old only after ``max_age``).
    :param clock: seconds since the epoch; tests pass a fake one.
    """

    def __init__(
        self,
        *,
        algorithms: Iterable[str] = ("ES256", "RS256", "PS256", "Ed25519"),
        max_age: float = 60.0,
        leeway: float = 5.0,
        replay_cache_size: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.algorithms = tuple(algorithms)
        if not self.algorithms or any(a not in PROOF_ALGORITHMS for a in self.algorithms):
            raise ValueError(f"proof algorithms must be among {', '.join(PROOF_ALGORITHMS)}")
        if not 0 < max_age <= 300 or not 0 <= leeway <= 60 or replay_cache_size < 1:
            raise ValueError("max_age is 1-300 s, leeway 0-60 s, the cache holds one or more")
        self.max_age, self.leeway, self._clock = max_age, leeway, clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._size = replay_cache_size
        self._lock = threading.Lock()

    def verify(
        self, proofs: Sequence[str], method: str, url: str, access_token: str, jkt: str
    ) -> None:
        """§4.3: ``proofs`` (every DPoP header value of the request) hold one valid proof
        for ``method`` ``url`` and ``access_token``, made with the key ``jkt``."""
        if not proofs:
            raise InvalidDPoPProof(
                "a DPoP-bound access token needs a DPoP proof in the DPoP header"
            )
        if len(proofs) > 1:
            raise InvalidDPoPProof("send one DPoP header; this request has several")
        claims, thumbprint = self._signed(proofs[0].strip())
        if thumbprint != jkt:
            raise InvalidDPoPProof(
                "the DPoP proof is made with another key than the one the access token is bound to"
            )
        now = self._clock()
        _check_claims(claims, method, url, access_token)
        iat = claims["iat"]
        if iat < now - self.max_age:
            raise InvalidDPoPProof("the DPoP proof is too old: make a new proof for each request")
        if iat > now + self.leeway:
            raise InvalidDPoPProof(
                "the DPoP proof's iat is in the future: check the client's clock"
            )
        self._first_use(f"{thumbprint} {claims['jti']}", iat + self.max_age, now)

    def _signed(self, proof: str) -> tuple[dict[str, Any], str]:
        """§4.3 steps 2, 4-7: a JWS typed dpop+jwt, an allowed alg, a public jwk of the
        alg's type, and a signature that verifies with it."""
        if not proof or len(proof) > _MAX_PROOF or proof.count(".") != 2:
            raise InvalidDPoPProof("the DPoP header is not a JWT (three dot-separated parts)")
        try:
            header = extract_compact(proof.encode("ascii"), None, _HEADER_PARSER).protected
        except (JoseError, ValueError, UnicodeError):
            raise InvalidDPoPProof("the DPoP proof is not a well-formed JWS") from None
        if header.get("typ") != "dpop+jwt":
            raise InvalidDPoPProof("the DPoP proof's typ header must be dpop+jwt")
        alg, jwk = header.get("alg"), header.get("jwk")
        if not isinstance(alg, str) or alg not in self.algorithms:
            raise InvalidDPoPProof(
                f"the DPoP proof's alg is not one of {', '.join(self.algorithms)}"
            )
        if not isinstance(jwk, dict) or _PRIVATE_MEMBERS & jwk.keys():
            raise InvalidDPoPProof("the DPoP proof's jwk header must hold a public key")
        kty, crv = PROOF_ALGORITHMS[alg]
        if jwk.get("kty") != kty or (crv is not None and jwk.get("crv") != crv):
            raise InvalidDPoPProof(
                f"the DPoP proof's jwk is not a {crv or kty} key, as {alg} needs"
            )
        try:
            key = JWKRegistry.import_key(jwk)
            if not isinstance(key, ECKey | RSAKey | OKPKey) or key.is_private:
                raise ValueError("not a public key")
            if isinstance(key, RSAKey) and key.raw_value.key_size < MIN_RSA_BITS:
                raise ValueError("an RSA key too short to trust")
            claims = jwt.decode(proof, key, registry=_VERIFIERS[alg]).claims
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidDPoPProof(
                "the DPoP proof's signature does not verify with its jwk"
            ) from None
        return dict(claims), key.thumbprint()

    def _first_use(self, jti: str, until: float, now: float) -> None:
        """§11.1: a proof is used once. Expired entries go first; beyond the cache size the
        oldest, whose proofs are near the end of their window anyway."""
        with self._lock:
            while self._seen and next(iter(self._seen.values())) < now:
                self._seen.popitem(last=False)
            if jti in self._seen:
                raise InvalidDPoPProof(
                    "this DPoP proof was already used: make a new one per request"
                )
            self._seen[jti] = until
            if len(self._seen) > self._size:
                self._seen.popitem(last=False)


def _check_claims(claims: dict[str, Any], method: str, url: str, access_token: str) -> None:
    """§4.3 steps 3, 8, 9, 12: jti, htm, htu, iat and ath, each for this request."""
    jti, iat = claims.get("jti"), claims.get("iat")
    if not isinstance(jti, str) or not jti or len(jti) > _MAX_JTI:
        raise InvalidDPoPProof("the DPoP proof lacks a jti claim (at most 256 characters)")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise InvalidDPoPProof("the DPoP proof lacks the iat claim")
    if claims.get("htm") != method:
        raise InvalidDPoPProof(f"the DPoP proof is for another method (htm must be {method})")
    htu = claims.get("htu")
    if not isinstance(htu, str) or normalized_url(htu) != normalized_url(url):
        raise InvalidDPoPProof(
            f"the DPoP proof is for another URL (htu must be {normalized_url(url)})"
        )
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    if claims.get("ath") != base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"):
        raise InvalidDPoPProof("the DPoP proof's ath is not the hash of this access token")


def normalized_url(url: str) -> str:
    """§4.3 step 9: scheme and host in lower case, no default port, no query or fragment."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    scheme = parts.scheme.lower()
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path or '/'}"


class BoundTokenAsBearer(InvalidToken):
    """§7.1: a DPoP-bound token sent with the Bearer scheme (answered with a DPoP challenge)."""


def bound_key(token: AccessToken) -> str | None:
    """RFC 9449 §6.1: the thumbprint in the token's cnf.jkt; None for a bearer token."""
    cnf = token.claims.get("cnf")
    jkt = cnf.get("jkt") if isinstance(cnf, dict) else None
    return jkt if isinstance(jkt, str) else None


def check_presentation(
    token: AccessToken,
    raw: str,
    scheme: str,
    verifier: DPoPVerifier | None,
    request: tuple[Sequence[str], str, str],
) -> None:
    """§7.1: a bound token comes with the DPoP scheme and a proof (``request``: the DPoP
    header values, the method and the URL); a bearer token with the Bearer scheme."""
    jkt = bound_key(token)
    if scheme == "bearer":
        if jkt is not None:
            raise BoundTokenAsBearer(
                "this access token is DPoP-bound: send it as Authorization: DPoP <token> with "
                "a DPoP proof"
            )
        return
    if jkt is None:
        raise InvalidToken("this access token is not DPoP-bound: send it as Authorization: Bearer")
    if verifier is None:
        raise InvalidToken("this API does not accept DPoP-bound access tokens")
    proofs, method, url = request
    verifier.verify(proofs, method, url, raw, jkt)
