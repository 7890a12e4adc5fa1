"""The claim rules of an RFC 9068 access token, one step each, in the order §4 lists them.

Each step checks one rule and raises :class:`InvalidToken` with a description that says
exactly what is wrong; :data:`STEPS` is the whole policy on one screen.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from gatehouse.rs.entra import EntraClaims, check_entra_claims
from gatehouse.rs.errors import InvalidToken

#: The most clock skew any deployment should need; a larger leeway hides a broken clock.
MAX_LEEWAY: Final = 300.0
# 9999-12-31T23:59:59Z: beyond it a "NumericDate" is garbage (and overflows float arithmetic).
_LAST_SECOND: Final = 253_402_300_799


@dataclass(frozen=True, slots=True)
class ClaimRules:
    """What this API expects: its issuer, its audience identifier(s), the allowed clock skew,
    and whether (and for which tenants) its tokens carry Entra's claims."""

    issuer: str
    audiences: frozenset[str]
    leeway: float
    entra: EntraClaims | None = None


Step = Callable[[dict[str, Any], ClaimRules, float], None]


def issuer_matches(claims: dict[str, Any], rules: ClaimRules, now: float) -> None:
    """RFC 9068 §4, RFC 7519 §4.1.1: ``iss`` is exactly this API's issuer (no normalisation)."""
    iss = claims.get("iss")
    if iss != rules.issuer:
        if iss is None:
            raise InvalidToken("the token has no iss claim")
        raise InvalidToken(f"the token was issued by {_show(iss)}, not {rules.issuer}")


def audience_matches(claims: dict[str, Any], rules: ClaimRules, now: float) -> None:
    """RFC 9068 §4, RFC 7519 §4.1.3: ``aud``, a string or an array of strings, names this API."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        if aud in rules.audiences:
            return
    elif isinstance(aud, list) and all(isinstance(item, str) for item in aud):
        if not rules.audiences.isdisjoint(aud):
            return
        aud = ", ".join(aud) if aud else "(an empty list)"
    elif aud is None:
        raise InvalidToken("the token has no aud claim")
    else:
        raise InvalidToken("the token's aud claim is neither a string nor a list of strings")
    raise InvalidToken(f"the token is for audience {_show(aud)}, not {_expected(rules)}")


def not_expired(claims: dict[str, Any], rules: ClaimRules, now: float) -> None:
    """RFC 9068 §2.2, RFC 7519 §4.1.4: ``exp`` is required and now must be before it
    (plus the leeway)."""
    exp = _numeric_date(claims, "exp", required=True)
    assert exp is not None  # required=True
    if now >= exp + rules.leeway:
        raise InvalidToken(f"the token expired at {_when(exp)}")


def not_before(claims: dict[str, Any], rules: ClaimRules, now: float) -> None:
    """RFC 7519 §4.1.5: when ``nbf`` is present, now must not be before it (minus the leeway)."""
    nbf = _numeric_date(claims, "nbf", required=False)
    if nbf is not None and now < nbf - rules.leeway:
        raise InvalidToken(f"the token is not valid before {_when(nbf)}")


def issued_in_the_past(claims: dict[str, Any], rules: ClaimRules, now: float) -> None:
    """RFC 9068 §2.2, RFC 7519 §4.1.6: ``iat`` is required; a token issued in the future
    (beyond the leeway) comes from a broken clock or a forger."""
    iat = _numeric_date(claims, "iat", required=True)
    assert iat is not None  # required=True
    if iat > now + rules.leeway:
        raise InvalidToken(f"the token claims to be issued in the future, at {_when(iat)}")


def identifiers_present(claims: dict[str, Any], rules: ClaimRules, now: float) -> None:
    """RFC 9068 §2.2: ``sub``, ``client_id`` and ``jti`` are required strings."""
    for name in ("sub", "client_id", "jti"):
        value = claims.get(name)
        if not isinstance(value, str) or not value:
            raise InvalidToken(f"the token has no {name} claim (RFC 9068 §2.2)")


def authorization_claims_well_formed(claims: dict[str, Any], rules: ClaimRules, now: float) -> None:
    """RFC 9068 §2.2.3: ``scope`` is a space-separated string; §2.2.3.1 (RFC 7643 §4.1.2):
    ``roles`` is a list of strings; OIDC Core §2: ``auth_time`` a NumericDate, ``sid`` a string."""
    scope = claims.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise InvalidToken("the token's scope claim is not a space-separated string")
    roles = claims.get("roles")
    if roles is not None and not (
        isinstance(roles, list) and all(isinstance(role, str) for role in roles)
    ):
        raise InvalidToken("the token's roles claim is not a list of strings")
    _numeric_date(claims, "auth_time", required=False)
    sid = claims.get("sid")
    if sid is not None and not isinstance(sid, str):
        raise InvalidToken("the token's sid claim is not a string")


STEPS: Final[tuple[Step, ...]] = (
    issuer_matches,
    audience_matches,
    not_expired,
    not_before,
    issued_in_the_past,
    identifiers_present,
    authorization_claims_well_formed,
)


def check_claims(claims: dict[str, Any], rules: ClaimRules, now: float) -> None:
    for step in STEPS:
        step(claims, rules, now)
    if rules.entra is not None:
        check_entra_claims(claims, rules.entra)


def _numeric_date(claims: dict[str, Any], name: str, *, required: bool) -> float | None:
    """RFC 7519 §2: a NumericDate is a JSON number (not a boolean, not infinite)."""
    value = claims.get(name)
    if value is None:
        if required:
            raise InvalidToken(f"the token has no {name} claim")
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
        or not -_LAST_SECOND <= value <= _LAST_SECOND
    ):
        raise InvalidToken(f"the token's {name} claim is not a NumericDate")
    return value


def _when(timestamp: float) -> str:
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return f"{timestamp:.0f} (seconds since 1970)"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _expected(rules: ClaimRules) -> str:
    return " or ".join(sorted(rules.audiences))


def _show(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 100 else text[:97] + "..."
