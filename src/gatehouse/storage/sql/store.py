"""``SqlStore``: every SQL repository of one tenant over one database. The one place the
SQL implementation is wired (runtime.py builds it; tests build a second one to play
another process)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from gatehouse.storage.sql.admin_consents import SqlAdminConsentRepository
from gatehouse.storage.sql.apis import SqlApiRepository, SqlScopeRepository
from gatehouse.storage.sql.attempts import SqlAttemptRepository, SqlKnownBrowserRepository
from gatehouse.storage.sql.audit import SqlAuditRepository
from gatehouse.storage.sql.cache import RegistryCache, RegistryRevisions, registry_revisions
from gatehouse.storage.sql.clients import SqlClientAssertionRepository, SqlClientRepository
from gatehouse.storage.sql.codes import SqlAuthorizationCodeRepository
from gatehouse.storage.sql.consents import SqlConsentRepository
from gatehouse.storage.sql.database import Database
from gatehouse.storage.sql.device_authorizations import SqlDeviceAuthorizationRepository
from gatehouse.storage.sql.dpop_proofs import SqlDPoPProofRepository
from gatehouse.storage.sql.federation import (
    SqlFederationRepository,
    SqlUpstreamProviderRepository,
)
from gatehouse.storage.sql.groups import SqlGroupRepository
from gatehouse.storage.sql.keys import SqlKeyRepository
from gatehouse.storage.sql.logout_deliveries import SqlLogoutDeliveryRepository, queue_signal
from gatehouse.storage.sql.multi_tenant import SqlMultiTenantDirectory
from gatehouse.storage.sql.passkeys import SqlPasskeyRepository
from gatehouse.storage.sql.policy import SqlTenantPolicyRepository
from gatehouse.storage.sql.pushed_requests import SqlPushedRequestRepository
from gatehouse.storage.sql.refresh_tokens import SqlRefreshTokenRepository
from gatehouse.storage.sql.revocations import SqlRevocationRepository
from gatehouse.storage.sql.second_factors import SqlSecondFactorRepository
from gatehouse.storage.sql.selfservice import (
    SqlEmailRequestRepository,
    SqlEmailTokenRepository,
    SqlOutboxRepository,
)
from gatehouse.storage.sql.sessions import SqlInteractionRepository, SqlSessionRepository
from gatehouse.storage.sql.tenants import SqlTenantRepository
from gatehouse.storage.sql.trusted_issuers import SqlTrustedIssuerRepository
from gatehouse.storage.sql.users import SqlUserRepository


class SqlStore:
    """Every repository of one tenant, over one database (``storage.repositories.Store``)."""

    def __init__(
        self,
        database: Database,
        tenant_id: str = "default",
        cache_clock: Callable[[], float] | None = None,
    ) -> None:
        self.database = database
        self.tenant_id = tenant_id
        # Client registrations, the API catalogue, app-role grants and the policy: what every
        # token request reads and administrators rarely change (storage/sql/cache.py). A
        # store with a clock of its own stands for another process (tests): it reads the
        # revisions on that clock, not with this process's other stores.
        revisions = (
            RegistryRevisions(database, clock=cache_clock)
            if cache_clock
            else registry_revisions(database)
        )
        registry = RegistryCache(database, tenant_id, revisions)
        self.clients = SqlClientRepository(database, tenant_id, registry)
        self.client_assertions = SqlClientAssertionRepository(database, tenant_id)
        self.dpop_proofs = SqlDPoPProofRepository(database, tenant_id)
        self.users = SqlUserRepository(database, tenant_id)
        self.scopes = SqlScopeRepository(database, tenant_id)
        # Back-channel logouts queued by this process's sign-outs, in any tenant, wake its
        # delivery worker.
        queued = queue_signal(database)
        self.sessions = SqlSessionRepository(database, tenant_id, queued)
        self.interactions = SqlInteractionRepository(database, tenant_id)
        self.logout_deliveries = SqlLogoutDeliveryRepository(database, tenant_id, queued)
        self.consents = SqlConsentRepository(database, tenant_id)
        self.admin_consents = SqlAdminConsentRepository(database, tenant_id)
        # Multi-tenant applications: the one door across tenants (storage/multi_tenant.py).
        self.multi_tenant = SqlMultiTenantDirectory(database, tenant_id)
        self.codes = SqlAuthorizationCodeRepository(database, tenant_id)
        self.refresh_tokens = SqlRefreshTokenRepository(database, tenant_id)
        self.revocations = SqlRevocationRepository(database, tenant_id)
        self.apis = SqlApiRepository(database, tenant_id, registry)
        self.keys = SqlKeyRepository(database, tenant_id)
        self.audit = SqlAuditRepository(database, tenant_id)
        self.policy = SqlTenantPolicyRepository(database, tenant_id, registry)
        self.second_factors = SqlSecondFactorRepository(database, tenant_id)
        self.passkeys = SqlPasskeyRepository(database, tenant_id)
        self.attempts = SqlAttemptRepository(database, tenant_id, cache_clock)
        self.known_browsers = SqlKnownBrowserRepository(database, tenant_id)
        self.trusted_issuers = SqlTrustedIssuerRepository(database, tenant_id)
        self.pushed_requests = SqlPushedRequestRepository(database, tenant_id)
        self.device_authorizations = SqlDeviceAuthorizationRepository(database, tenant_id)
        self.groups = SqlGroupRepository(database, tenant_id)
        # Federation to upstream identity providers (storage/federation.py).
        self.upstreams = SqlUpstreamProviderRepository(database, tenant_id)
        self.federation = SqlFederationRepository(database, tenant_id)
        # Self-service accounts (storage/selfservice.py).
        self.email_tokens = SqlEmailTokenRepository(database, tenant_id)
        self.outbox = SqlOutboxRepository(database, tenant_id)
        self.email_requests = SqlEmailRequestRepository(database, tenant_id)
        # The tenants themselves: every tenant's row, not only this store's.
        self.tenants = SqlTenantRepository(database)

    def atomic(self) -> AbstractContextManager[Any]:
        return self.database.atomic()
