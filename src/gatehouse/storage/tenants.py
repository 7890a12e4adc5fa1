"""The storage contract of the tenants themselves (``TenantRepository``): the one repository
that sees every tenant rather than its own. ``storage.sql.tenants`` implements it."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Protocol

from gatehouse.storage.records import StoredKey
from gatehouse.tenancy import TenantProfile


@dataclass(frozen=True)
class Tenant:
    id: str
    created_at: int
    # Raised by every change of the profile: a server process that built this tenant's
    # runtime from an older revision builds it again.
    revision: int
    profile: TenantProfile


class TenantRepository(Protocol):
    def get(self, tenant_id: str) -> Tenant | None: ...

    def list(self) -> builtins.list[Tenant]:
        """Every tenant, the default one first, then by name."""

    def revisions(self) -> dict[str, int]:
        """Every tenant's name and revision: what a server process compares its built
        runtimes with (one small read)."""

    def signing_keys(self) -> dict[str, builtins.list[StoredKey]]:
        """Every tenant's signing keys (their public halves), oldest first, by tenant: for
        what spans tenants, the common authority's JWK Set (one read, however many)."""

    def with_logouts_due(self, now: int) -> builtins.list[str]:
        """The tenants with a back-channel logout due at ``now``: what a delivery worker
        serving every tenant polls (one read, however many tenants there are)."""

    def with_mail_due(self, now: int) -> builtins.list[str]:
        """The tenants with an email due to be sent at ``now`` (one read, as above)."""

    def changes(self) -> int:
        """How many changes were made through this repository: a process sees its own
        changes of tenants at once, another's when it reads ``revisions`` again."""

    def create(self, tenant_id: str, profile: TenantProfile, now: int) -> bool:
        """Add the tenant; False, and nothing changed, if the name is taken."""

    def update(self, tenant_id: str, profile: TenantProfile) -> bool:
        """Store ``profile`` as the tenant's and raise its revision; False if there is no
        such tenant."""

    def delete(self, tenant_id: str) -> dict[str, int] | None:
        """Delete the tenant and every row of every table that belongs to it, in one
        transaction (joining ``Store.atomic()``); how many rows went from each table that
        had any, or None if there is no such tenant."""
