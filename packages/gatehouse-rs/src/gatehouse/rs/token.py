"""A validated access token, and the authorization checks an endpoint makes with it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from gatehouse.rs.errors import InsufficientScope, InsufficientUserAuthentication


class AccessToken:
    """The claims of an access token that passed validation (RFC 9068 §2.2).

    Delegated permissions are in :attr:`scopes` (the ``scope`` claim, a user is present);
    app roles are in :attr:`roles` (the ``roles`` claim): an application's own roles in a
    client-credentials token, or the roles a person was assigned (directly or through groups)
    in a token issued on their behalf. :attr:`is_delegated` tells the two apart.
    (``scope_claim="scp"`` reads delegated scopes from Entra's ``scp`` instead of ``scope``.)
    """

    __slots__ = ("_roles", "_scope_claim", "_scopes", "claims")

    def __init__(self, claims: Mapping[str, Any], *, scope_claim: str = "scope") -> None:
        #: Every claim of the token, read-only.
        self.claims: Mapping[str, Any] = MappingProxyType(
            claims if isinstance(claims, dict) else dict(claims)
        )
        self._scope_claim = scope_claim
        self._scopes: frozenset[str] | None = None
        self._roles: frozenset[str] | None = None

    def __repr__(self) -> str:
        return f"AccessToken(sub={self.subject!r}, client_id={self.client_id!r}, jti={self.jti!r})"

    @property
    def issuer(self) -> str:
        return str(self.claims["iss"])

    @property
    def subject(self) -> str:
        """``sub``: the user, or the client itself for a client-credentials token."""
        return str(self.claims["sub"])

    @property
    def client_id(self) -> str:
        return str(self.claims["client_id"])

    @property
    def jti(self) -> str:
        return str(self.claims["jti"])

    @property
    def audience(self) -> tuple[str, ...]:
        aud = self.claims["aud"]
        return (aud,) if isinstance(aud, str) else tuple(aud)

    @property
    def issued_at(self) -> float:
        return float(self.claims["iat"])

    @property
    def expires_at(self) -> float:
        return float(self.claims["exp"])

    @property
    def auth_time(self) -> float | None:
        value = self.claims.get("auth_time")
        return None if value is None else float(value)

    @property
    def sid(self) -> str | None:
        value = self.claims.get("sid")
        return None if value is None else str(value)

    @property
    def acr(self) -> str | None:
        """RFC 9068 §2.2.1: the authentication context class of the sign-in."""
        value = self.claims.get("acr")
        return None if value is None else str(value)

    @property
    def amr(self) -> tuple[str, ...]:
        """RFC 9068 §2.2.1, RFC 8176: the methods used to sign in."""
        value = self.claims.get("amr")
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    @property
    def scopes(self) -> frozenset[str]:
        """RFC 9068 §2.2.3: the space-separated ``scope`` claim (or Entra's ``scp``), as a set."""
        if self._scopes is None:
            self._scopes = frozenset(str(self.claims.get(self._scope_claim) or "").split())
        return self._scopes

    @property
    def roles(self) -> frozenset[str]:
        """RFC 9068 §2.2.3.1: the ``roles`` claim (application roles), as a set."""
        if self._roles is None:
            self._roles = frozenset(self.claims.get("roles") or ())
        return self._roles

    @property
    def is_delegated(self) -> bool:
        """Whether the token acts for a person (issued to ``client_id`` on a user's behalf)
        rather than for the client itself: RFC 9068 §2.2 gives a token obtained without a
        resource owner (client credentials) the client as its ``sub``."""
        return self.subject != self.client_id

    def has_scopes(self, *scopes: str) -> bool:
        return self.scopes.issuperset(scopes)

    def has_roles(self, *roles: str) -> bool:
        return self.roles.issuperset(roles)

    def require_scopes(self, *scopes: str) -> AccessToken:
        """RFC 6750 §3.1: every scope in ``scopes`` must have been granted, or
        insufficient_scope (403) naming the missing ones in the ``scope`` attribute."""
        return require_scopes(self, scopes)

    def require_roles(self, *roles: str) -> AccessToken:
        """Every application role in ``roles`` must be in the token, or insufficient_scope."""
        return require_roles(self, roles)

    def require_delegated(self) -> AccessToken:
        """The token must act for a person (:attr:`is_delegated`), or insufficient_scope."""
        return require_delegated(self)


def require_scopes(token: AccessToken, scopes: Iterable[str]) -> AccessToken:
    """RFC 6750 §3.1 insufficient_scope unless ``token`` carries all of ``scopes``; the error's
    ``scope`` attribute lists every scope the resource needs (§3)."""
    needed = tuple(dict.fromkeys(scopes))
    missing = [scope for scope in needed if scope not in token.scopes]
    if missing:
        noun = "scope" if len(missing) == 1 else "scopes"
        raise InsufficientScope(f"missing {noun} {' '.join(missing)}", scope=needed)
    return token


def require_roles(token: AccessToken, roles: Iterable[str]) -> AccessToken:
    """insufficient_scope (RFC 6750 §3.1) unless ``token`` carries all of ``roles``."""
    missing = [role for role in dict.fromkeys(roles) if role not in token.roles]
    if missing:
        noun = "app role" if len(missing) == 1 else "app roles"
        raise InsufficientScope(f"missing {noun} {' '.join(missing)}")
    return token


def require_delegated(token: AccessToken) -> AccessToken:
    """insufficient_scope (RFC 6750 §3.1) unless ``token`` acts for a person: with
    :func:`require_roles`, the roles must be the person's, not an application's own."""
    if not token.is_delegated:
        raise InsufficientScope(
            "this resource acts for a signed-in person; an application's own token (client "
            "credentials) cannot use it"
        )
    return token


def require_authentication(
    token: AccessToken,
    *,
    acr_values: Iterable[str] = (),
    max_age: int | None = None,
    now: float,
) -> AccessToken:
    """RFC 9470 §3 insufficient_user_authentication unless the sign-in behind ``token``
    reached one of ``acr_values`` (its ``acr`` claim is one of them) and happened at most
    ``max_age`` seconds before ``now`` (its ``auth_time``). The error carries both, for the
    challenge that tells the client what to ask gatehouse for."""
    accepted = tuple(dict.fromkeys(acr_values))
    if accepted and token.acr not in accepted:
        raise InsufficientUserAuthentication(
            "a stronger sign-in is required", acr_values=accepted, max_age=max_age
        )
    if max_age is not None:
        auth_time = token.auth_time
        if auth_time is None or now - auth_time > max_age:
            raise InsufficientUserAuthentication(
                "a more recent sign-in is required", acr_values=accepted, max_age=max_age
            )
    return token
