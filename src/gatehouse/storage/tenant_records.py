"""The storage contracts of what a tenant keeps about itself: its audit log
(``AuditRepository``) and its policy (``TenantPolicyRepository``), re-exported by
``storage/repositories.py`` with every other repository. ``storage.sql.audit`` and
``storage.sql.policy`` implement them."""

from __future__ import annotations

import builtins
from typing import Protocol

from gatehouse.policy import TenantPolicy
from gatehouse.storage.records import AuditEvent, AuditQuery


class AuditRepository(Protocol):
    def record(self, event: AuditEvent) -> None:
        """Append ``event``. Inside ``Store.atomic()`` it commits or rolls back with the
        change it records; outside, it is a transaction of its own."""

    def list(self, query: AuditQuery) -> builtins.list[AuditEvent]:
        """The events matching ``query``, newest first, at most ``query.limit``."""


class TenantPolicyRepository(Protocol):
    def get(self) -> TenantPolicy:
        """This tenant's policy (defaults for what it never set). Cached per process like
        the client registry: another process's change is seen within ``CACHE_SECONDS``."""

    def update(self, policy: TenantPolicy) -> None:
        """Store ``policy`` as this tenant's."""
