"""Admin consent: an administrator's consent to a client's delegated scopes for every person
of the tenant. The record, and the repository contract (``storage.sql.admin_consents``
implements it).

The tenant-wide grant is a record of its own, keyed by client (not a row per person): the
consent page stops asking for what it covers, and withdrawing it is one change. It is the
place where a later part (multi-tenant applications) records an application's presence in
a tenant that consented to it.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class AdminConsent:
    """An administrator consented, for every person of the tenant, to ``scopes`` (canonical:
    standard and custom scopes as they are, API scopes as ``<api>/<name>``) of the client."""

    client_id: str
    scopes: frozenset[str]
    granted_at: int
    updated_at: int
    # The home tenant of a multi-tenant client of another tenant: this record is then the
    # application's presence in this tenant (Entra's service principal), which lets people
    # of this tenant use it; None for this tenant's own client.
    home_tenant: str | None = None


@dataclass(frozen=True)
class LiveGrant:
    """A grant (token family) of a client that can still yield tokens: a live refresh token
    or a code not yet redeemed, with the person and the scopes it carries."""

    grant_id: str
    user_id: str
    scopes: frozenset[str]


class AdminConsentRepository(Protocol):
    def get(self, client_id: str) -> AdminConsent | None:
        """The client's admin consent, if an administrator gave one."""

    def list(self) -> builtins.list[AdminConsent]:
        """Every admin consent of the tenant, by client_id."""

    def save(self, consent: AdminConsent) -> None:
        """Store the client's admin consent as given (insert or replace)."""

    def delete(self, client_id: str) -> bool:
        """Remove the client's admin consent; whether there was one."""

    def live_grants(self, client_id: str, now: int) -> builtins.list[LiveGrant]:
        """Every grant of the client that can still yield tokens (a refresh token neither
        used, revoked nor expired, or a code neither redeemed nor expired), one per grant:
        what withdrawing an admin consent must look at."""
