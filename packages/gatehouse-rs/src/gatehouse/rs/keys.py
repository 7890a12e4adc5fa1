"""The issuer's JWK Set (RFC 7517 §5), parsed once per fetch into an index by ``kid``.

Importing a JWK costs far more than checking a signature with it, so each fetched set is
turned into ready-to-use key objects once and looked up by ``kid`` afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey
from joserfc.util import urlsafe_b64decode

from gatehouse.rs.errors import InvalidToken, IssuerUnavailable

# RFC 7518 §3.4: each ES alg is bound to one curve.
_CURVES: Final = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
# Only the public members are imported: a private member published by mistake is never used.
_PUBLIC_MEMBERS: Final = {"RSA": ("n", "e"), "EC": ("crv", "x", "y")}
_KEY_PARAMETERS: Final = ("kid", "alg", "use", "key_ops")
MIN_RSA_BITS: Final = 2048  # RFC 7518 §3.3


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key ready to verify signatures, and the algorithms it may be used with."""

    kid: str
    jwk: RSAKey | ECKey
    algorithms: frozenset[str]

    def describe(self) -> str:
        if isinstance(self.jwk, ECKey):
            return f"an EC {self.jwk.curve_name} key"
        declared = self.jwk.alg
        return f"an RSA key for {declared}" if declared else "an RSA key"


class KeyIndex:
    """Verification keys by ``kid``."""

    def __init__(self, keys: Iterable[VerificationKey]) -> None:
        by_kid: dict[str, list[VerificationKey]] = {}
        for key in keys:
            by_kid.setdefault(key.kid, []).append(key)
        self._by_kid: Mapping[str, tuple[VerificationKey, ...]] = {
            kid: tuple(entries) for kid, entries in by_kid.items()
        }

    def __len__(self) -> int:
        return len(self._by_kid)

    def knows(self, kid: str) -> bool:
        return kid in self._by_kid

    def find(self, kid: str, alg: str) -> VerificationKey | None:
        """The key named ``kid`` that may verify ``alg``; None if no key has that kid.

        RFC 7517 §4.4, RFC 8725 §3.1: a key whose own ``alg`` (or type, or curve) does not
        match the token's alg is never used, whatever the token claims."""
        entries = self._by_kid.get(kid)
        if entries is None:
            return None
        for key in entries:
            if alg in key.algorithms:
                return key
        raise InvalidToken(
            f"the token says alg {alg}, but key {kid} is {entries[0].describe()}"
            f" ({', '.join(sorted(entries[0].algorithms)) or 'no allowed alg'})"
        )


def parse_jwks(document: dict[str, Any], allowed: frozenset[str]) -> KeyIndex:
    """RFC 7517 §5: a JSON object with a ``keys`` array. Keys this API cannot or must not use
    are skipped (§5: unknown ``kty``, missing members; §4.2 ``use`` other than sig; §4.3
    ``key_ops`` without verify; symmetric keys; RSA keys under 2048 bits, RFC 7518 §3.3)."""
    entries = document.get("keys")
    if not isinstance(entries, list):
        raise IssuerUnavailable("the issuer's JWK Set has no keys array (RFC 7517 §5)")
    keys = [key for key in (_import(entry, allowed) for entry in entries) if key is not None]
    if not any(key.algorithms for key in keys):
        raise IssuerUnavailable(
            f"the issuer's JWK Set holds no key usable with {', '.join(sorted(allowed))}"
        )
    return KeyIndex(keys)


def _import(entry: object, allowed: frozenset[str]) -> VerificationKey | None:
    if not isinstance(entry, dict):
        return None
    kty, kid = entry.get("kty"), entry.get("kid")
    if (
        not isinstance(kty, str)
        or kty not in _PUBLIC_MEMBERS
        or not isinstance(kid, str)
        or not kid
    ):
        return None  # oct (symmetric) keys included: a published MAC secret is no secret
    use, key_ops = entry.get("use"), entry.get("key_ops")
    if use is not None and use != "sig":
        return None
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return None
    public = {
        name: entry[name] for name in (*_PUBLIC_MEMBERS[kty], *_KEY_PARAMETERS) if name in entry
    }
    public["kty"] = kty
    try:
        jwk: RSAKey | ECKey
        if kty == "RSA":
            if _modulus_bits(public.get("n")) < MIN_RSA_BITS:
                return None
            jwk = RSAKey.import_key(public)
        else:
            jwk = ECKey.import_key(public)
            jwk.public_key  # noqa: B018 - decode the point now, not on the first token
    except (JoseError, ValueError, TypeError, KeyError, UnicodeError):
        return None
    return VerificationKey(kid, jwk, _algorithms_for(jwk, allowed))


def _modulus_bits(n: object) -> int:
    """RFC 7518 §6.3.1.1: ``n`` is the base64url modulus; checked before import, which warns
    about short keys instead of refusing them."""
    if not isinstance(n, str):
        return 0
    return int.from_bytes(urlsafe_b64decode(n.encode("ascii")), "big").bit_length()


def _algorithms_for(jwk: RSAKey | ECKey, allowed: frozenset[str]) -> frozenset[str]:
    """RFC 7518 §3.1: RS*/PS* need an RSA key, ES* an EC key on its curve; a key that
    declares an ``alg`` is used with that one only (RFC 7517 §4.4)."""
    if isinstance(jwk, RSAKey):
        fitting = {alg for alg in allowed if alg[:2] in ("RS", "PS")}
    else:
        fitting = {alg for alg in allowed if _CURVES.get(alg) == jwk.curve_name}
    declared = jwk.alg
    if declared is not None:
        fitting &= {declared}
    return frozenset(fitting)
