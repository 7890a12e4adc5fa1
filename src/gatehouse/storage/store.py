"""``Store``: every repository of one tenant, the bundle the runtime wires (storage.sql.store
implements it) and services use."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from gatehouse.storage.admin_consents import AdminConsentRepository
from gatehouse.storage.federation import FederationRepository, UpstreamProviderRepository
from gatehouse.storage.groups import GroupRepository
from gatehouse.storage.multi_tenant import MultiTenantDirectory
from gatehouse.storage.repositories import (
    ApiRepository,
    AttemptRepository,
    AuditRepository,
    AuthorizationCodeRepository,
    ClientAssertionRepository,
    ClientRepository,
    ConsentRepository,
    DeviceAuthorizationRepository,
    DPoPProofRepository,
    InteractionRepository,
    KeyRepository,
    KnownBrowserRepository,
    LogoutDeliveryRepository,
    PasskeyRepository,
    PushedRequestRepository,
    RefreshTokenRepository,
    RevocationRepository,
    ScopeRepository,
    SecondFactorRepository,
    SessionRepository,
    TenantPolicyRepository,
    UserRepository,
)
from gatehouse.storage.tenants import TenantRepository
from gatehouse.storage.trusted_issuers import TrustedIssuerRepository


class Store(Protocol):
    """Every repository of one tenant: what the runtime wires and services use."""

    def atomic(self) -> AbstractContextManager[Any]:
        """One transaction for everything done inside the block, through any repository:
        all of it commits, or none (a block inside another joins it)."""

    @property
    def clients(self) -> ClientRepository: ...
    @property
    def client_assertions(self) -> ClientAssertionRepository: ...
    @property
    def dpop_proofs(self) -> DPoPProofRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def scopes(self) -> ScopeRepository: ...
    @property
    def sessions(self) -> SessionRepository: ...
    @property
    def interactions(self) -> InteractionRepository: ...
    @property
    def logout_deliveries(self) -> LogoutDeliveryRepository: ...
    @property
    def consents(self) -> ConsentRepository: ...
    @property
    def admin_consents(self) -> AdminConsentRepository: ...
    @property
    def multi_tenant(self) -> MultiTenantDirectory: ...
    @property
    def codes(self) -> AuthorizationCodeRepository: ...
    @property
    def refresh_tokens(self) -> RefreshTokenRepository: ...
    @property
    def revocations(self) -> RevocationRepository: ...
    @property
    def apis(self) -> ApiRepository: ...
    @property
    def keys(self) -> KeyRepository: ...
    @property
    def audit(self) -> AuditRepository: ...
    @property
    def policy(self) -> TenantPolicyRepository: ...
    @property
    def second_factors(self) -> SecondFactorRepository: ...
    @property
    def passkeys(self) -> PasskeyRepository: ...
    @property
    def attempts(self) -> AttemptRepository: ...
    @property
    def known_browsers(self) -> KnownBrowserRepository: ...
    @property
    def trusted_issuers(self) -> TrustedIssuerRepository: ...
    @property
    def pushed_requests(self) -> PushedRequestRepository: ...
    @property
    def device_authorizations(self) -> DeviceAuthorizationRepository: ...
    @property
    def groups(self) -> GroupRepository: ...
    @property
    def upstreams(self) -> UpstreamProviderRepository: ...
    @property
    def federation(self) -> FederationRepository: ...

    @property
    def tenant_id(self) -> str:
        """The tenant this store's repositories read and write."""
        ...

    @property
    def tenants(self) -> TenantRepository:
        """Every tenant of the database (not only this store's): the tenants themselves."""
        ...
