"""The records of APIs (protected resources, RFC 8707) and what is granted on them to
clients: their scopes and app roles, application permissions, token-exchange pairs.
Re-exported by ``storage/records.py`` with every other record."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ApiPermission:
    name: str
    description: str
    # 0020: a delegated scope that only an administrator can consent to, for the whole
    # tenant (storage/admin_consents.py); a person is never asked for it.
    admin_consent_required: bool = False


@dataclass(frozen=True)
class Api:
    """A protected resource (RFC 8707): its identifier is the `aud` of its access tokens."""

    identifier: str
    name: str
    access_token_lifetime: int | None
    signing_alg: str | None
    client_id: str | None
    # 0022: "entra" adds Entra ID's v2.0 claims to its access tokens (tokens/entra.py).
    token_profile: str = "rfc9068"
    scopes: tuple[ApiPermission, ...] = ()
    roles: tuple[ApiPermission, ...] = ()

    def scope_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.scopes)

    def role_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.roles)

    def admin_only_scope_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.scopes if p.admin_consent_required)


@dataclass(frozen=True)
class RoleGrant:
    """An application permission: ``role`` of the API ``api_identifier``, granted to a
    client (client_credentials tokens carry it in ``roles``)."""

    client_id: str
    api_identifier: str
    role: str


@dataclass(frozen=True)
class ExchangeGrant:
    """On-behalf-of (RFC 8693): the client may exchange the user tokens it receives for
    tokens for the API ``api_identifier``. Those carry ``act`` naming the client (delegation,
    §4.1) unless an operator allowed ``impersonation`` for this pair."""

    client_id: str
    api_identifier: str
    impersonation: bool = False
