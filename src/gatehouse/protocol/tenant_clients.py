"""The clients a tenant's protocol endpoints see: the tenant's own registrations and, read
through the one explicit door across tenants (storage/multi_tenant.py), the multi-tenant
applications of other tenants (docs/multi-tenant-apps.md).

A multi-tenant client of tenant A used in tenant B is A's registration (redirect URIs,
secrets, keys, grant types: what A's administrator decides) read from A, while everything B
keeps for it — consents, codes, refresh tokens, sessions — is B's, because every other
repository of B's provider sees B's rows only. The client repositories themselves keep their
tenant filter: only this wrapper, which the provider's protocol code uses, looks further.

- ``get``: own client, else another tenant's *multi-tenant* client of that id whether or not
  it has a presence here, so that the authorization endpoint can reach the sign-in and tell
  the person it is not available here (or ask them to consent, where the tenant's policy
  lets people add it: protocol/multi_tenant.py).
- ``get_for_authentication`` and ``encrypted_secrets``: another tenant's client only where it
  has a presence here, and only while its home tenant keeps it multi-tenant. That is what
  every token request, UserInfo and PAR check, so removing the presence stops the client in
  this tenant at once.
- Writes and ``list``/``secrets`` (administration) are the tenant's own registrations only.
"""

from __future__ import annotations

import builtins
from dataclasses import replace

from gatehouse.storage.admin_consents import AdminConsentRepository
from gatehouse.storage.multi_tenant import MultiTenantDirectory
from gatehouse.storage.records import Client, ClientSecret
from gatehouse.storage.repositories import ClientRepository


class TenantClients:
    """A ``ClientRepository`` of one tenant that also finds other tenants' multi-tenant
    clients (the module docstring)."""

    def __init__(
        self,
        own: ClientRepository,
        presences: AdminConsentRepository,
        directory: MultiTenantDirectory,
        tenant_id: str,
    ) -> None:
        self.own = own
        self._presences = presences
        self._directory = directory
        self._tenant_id = tenant_id

    # -- Reads that may find another tenant's multi-tenant client -----------------------------

    def get(self, client_id: str) -> Client | None:
        found = self.own.get(client_id)
        if found is not None:
            return found
        home = self._directory.home_of(client_id)
        if home is None or home == self._tenant_id:
            return None
        registered = self._directory.home_client(home, client_id)
        return _foreign(registered[0]) if registered is not None else None

    def get_for_authentication(
        self, client_id: str
    ) -> tuple[Client, tuple[ClientSecret, ...]] | None:
        found = self.own.get_for_authentication(client_id)
        if found is not None:
            return found
        home = self.presence_home(client_id)
        registered = self._directory.home_client(home, client_id) if home is not None else None
        return (_foreign(registered[0]), registered[1]) if registered is not None else None

    def encrypted_secrets(self, client_id: str, now: int) -> builtins.list[tuple[str, bytes]]:
        home = None if self.own.get(client_id) is not None else self.presence_home(client_id)
        if home is None:
            return self.own.encrypted_secrets(client_id, now)
        return self._directory.home_encrypted_secrets(home, client_id, now)

    def home_tenant(self, client_id: str) -> str | None:
        """The home tenant of ``client_id`` when it is another tenant's multi-tenant client,
        else None (this tenant's own, or no such client)."""
        if self.own.get(client_id) is not None:
            return None
        home = self._directory.home_of(client_id)
        return home if home != self._tenant_id else None

    def presence_home(self, client_id: str) -> str | None:
        """The home tenant the client's presence here names, if it has one."""
        presence = self._presences.get(client_id)
        return presence.home_tenant if presence is not None else None

    # -- The tenant's own registrations -------------------------------------------------------

    def list(self) -> builtins.list[Client]:
        return self.own.list()

    def secrets(self, client_id: str) -> builtins.list[ClientSecret]:
        return self.own.secrets(client_id)

    def insert(
        self, client: Client, secret: ClientSecret | None, encrypted: bytes | None = None
    ) -> None:
        self.own.insert(client, secret, encrypted)

    def update(self, client: Client) -> None:
        self.own.update(client)

    def register_builtin(self, client: Client) -> None:
        self.own.register_builtin(client)

    def replace_secrets(
        self, client_id: str, secret: ClientSecret | None, encrypted: bytes | None = None
    ) -> None:
        self.own.replace_secrets(client_id, secret, encrypted)

    def add_secret(self, secret: ClientSecret, encrypted: bytes | None = None) -> None:
        self.own.add_secret(secret, encrypted)

    def revoke_secret(self, client_id: str, secret_id: str, now: int) -> bool:
        return self.own.revoke_secret(client_id, secret_id, now)

    def delete(self, client_id: str) -> bool:
        return self.own.delete(client_id)


def _foreign(client: Client) -> Client:
    """Another tenant's client as this tenant sees it: its home's first-party mark (no
    consent asked) is that administrator's decision, which means nothing here."""
    return replace(client, first_party=False) if client.first_party else client
