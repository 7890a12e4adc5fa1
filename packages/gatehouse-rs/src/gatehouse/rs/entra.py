"""The claims of Microsoft identity platform v2.0 access tokens, as an API written against
Entra ID checks them (``ver``, ``tid``, ``oid``, ``scp``), for gatehouse tokens of an API
with the ``entra`` token profile.

Each step checks one rule, after RFC 9068's (:mod:`gatehouse.rs.claims`); :data:`STEPS` is
the whole policy on one screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from gatehouse.rs.errors import InvalidToken

#: The token version these rules are for; v1.0 tokens (``appid``, ``scp`` with prefixes) are not.
VERSION: Final = "2.0"


@dataclass(frozen=True, slots=True, init=False)
class EntraClaims:
    """Validate the Entra claims too: ``ver`` is 2.0, ``tid`` is one of ``tenants`` (what
    Microsoft.Identity.Web's ``AllowedTenantIds`` checks; a gatehouse tenant's name), ``oid``
    names the caller. A token's :attr:`~gatehouse.rs.AccessToken.scopes` are then its ``scp``
    claim, the space-separated delegated scopes without the API's prefix."""

    tenants: frozenset[str]

    def __init__(self, tenants: Iterable[str]) -> None:
        names = frozenset([tenants] if isinstance(tenants, str) else tenants)
        if not names or not all(isinstance(t, str) and t for t in names):
            raise ValueError("tenants must be one or more non-empty tenant names")
        object.__setattr__(self, "tenants", names)


Step = Callable[[dict[str, Any], EntraClaims], None]


def version_is_2(claims: dict[str, Any], rules: EntraClaims) -> None:
    """``ver`` is "2.0": the token has the v2.0 claims these rules read."""
    ver = claims.get("ver")
    if ver != VERSION:
        raise InvalidToken(
            f"the token's ver is {ver!r}, not {VERSION!r}: the API's tokens must use the "
            "entra profile"
        )


def tenant_is_allowed(claims: dict[str, Any], rules: EntraClaims) -> None:
    """``tid`` names one of the tenants this API serves."""
    tid = claims.get("tid")
    if not isinstance(tid, str):
        raise InvalidToken("the token has no tid claim")
    if tid not in rules.tenants:
        raise InvalidToken(f"the token is from tenant {tid[:100]!r}, which this API does not serve")


def object_id_present(claims: dict[str, Any], rules: EntraClaims) -> None:
    """``oid``, the caller's stable id (a user, or the client acting as itself), a string."""
    oid = claims.get("oid")
    if not isinstance(oid, str) or not oid:
        raise InvalidToken("the token has no oid claim")


def scp_well_formed(claims: dict[str, Any], rules: EntraClaims) -> None:
    """``scp``, when present (delegated tokens), is a space-separated string."""
    scp = claims.get("scp")
    if scp is not None and not isinstance(scp, str):
        raise InvalidToken("the token's scp claim is not a space-separated string")


STEPS: Final[tuple[Step, ...]] = (
    version_is_2,
    tenant_is_allowed,
    object_id_present,
    scp_well_formed,
)


def check_entra_claims(claims: dict[str, Any], rules: EntraClaims) -> None:
    for step in STEPS:
        step(claims, rules)
