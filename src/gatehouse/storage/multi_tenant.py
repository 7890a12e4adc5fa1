"""Multi-tenant applications: the few reads and writes that cross tenants (docs/multi-tenant-
apps.md). Everything else of a tenant's store sees its own tenant's rows only; this
directory is the one explicit door through which tenant B reads the registration of a
multi-tenant client whose home is tenant A, and through which A's changes to that client
reach the tenants that use it. ``storage.sql.multi_tenant`` implements it.
"""

from __future__ import annotations

from typing import Protocol

from gatehouse.storage.records import Client, ClientSecret


class MultiTenantDirectory(Protocol):
    def home_of(self, client_id: str) -> str | None:
        """The tenant whose client of this id is multi-tenant, if any: the client ids of
        multi-tenant clients are unique across tenants (admin/multi_tenant.py)."""

    def tenants_with_client(self, client_id: str) -> list[str]:
        """Every tenant that has a client registered under this id, by name."""

    def home_client(
        self, home_tenant: str, client_id: str
    ) -> tuple[Client, tuple[ClientSecret, ...]] | None:
        """The client of ``home_tenant`` and every secret of it, read in one snapshot, if it
        is multi-tenant; None if there is no such client or it is single-tenant. Never
        cached: a secret revoked at home stops working in every tenant at once."""

    def home_encrypted_secrets(
        self, home_tenant: str, client_id: str, now: int
    ) -> list[tuple[str, bytes]]:
        """What ``ClientRepository.encrypted_secrets`` answers for the home tenant's client."""

    def presences(self, home_tenant: str, client_id: str) -> list[str]:
        """The tenants where the multi-tenant client of ``home_tenant`` has a presence."""

    def end_presence(self, tenant: str, client_id: str) -> bool:
        """Delete the client's presence in ``tenant`` and everything ``tenant`` gave it or
        keeps for it (consents, codes, refresh tokens, interactions, sessions' links, app
        role grants), as deleting a client does: a presence made later inherits nothing.
        Whether there was a presence."""
