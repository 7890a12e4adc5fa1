"""What the protocol core needs from the outside world, in one explicit bundle."""

from __future__ import annotations

import dataclasses
import functools
import secrets
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from gatehouse.accounts.passkeys import PasskeyService
from gatehouse.accounts.passwords import Passwords
from gatehouse.accounts.recovery_codes import RecoveryCodes
from gatehouse.accounts.second_factor import SecondFactorMethod
from gatehouse.accounts.sessions import SessionLifetimes
from gatehouse.accounts.throttle import Throttle
from gatehouse.accounts.totp import Totp
from gatehouse.keys.discovery import UpstreamMetadata
from gatehouse.keys.encryption import KeyEncryptor
from gatehouse.keys.issuer_keys import IssuerKeys
from gatehouse.keys.jose import PublicKeySet
from gatehouse.keys.remote import RemoteJwksCache
from gatehouse.keys.service import KeyService
from gatehouse.protocol.tenant_clients import TenantClients
from gatehouse.settings import SigningAlg
from gatehouse.storage.admin_consents import AdminConsentRepository
from gatehouse.storage.attempts import AttemptRepository, KnownBrowserRepository
from gatehouse.storage.federation import FederationRepository, UpstreamProviderRepository
from gatehouse.storage.groups import GroupRepository
from gatehouse.storage.repositories import (
    ApiRepository,
    AuditRepository,
    AuthorizationCodeRepository,
    ClientAssertionRepository,
    ConsentRepository,
    DeviceAuthorizationRepository,
    DPoPProofRepository,
    InteractionRepository,
    LogoutDeliveryRepository,
    PushedRequestRepository,
    RefreshTokenRepository,
    RevocationRepository,
    ScopeRepository,
    SecondFactorRepository,
    SessionRepository,
    TenantPolicyRepository,
    UserRepository,
)
from gatehouse.storage.trusted_issuers import TrustedIssuerRepository


@dataclass(frozen=True)
class ProviderConfig:
    """Lifetimes in seconds; algorithms by JWS name."""

    issuer: str
    # The tenant this provider serves: its name, the key of its rows (storage) and the tid
    # claim of the Entra token profile (tokens/entra.py).
    tenant_id: str = "default"
    access_token_lifetime: int = 3600
    id_token_lifetime: int = 3600
    authorization_code_lifetime: int = 60
    refresh_token_idle_lifetime: int = 30 * 86400
    refresh_token_absolute_lifetime: int = 90 * 86400
    refresh_token_retry_window: int = 10
    session_idle_lifetime: int = 1800
    session_absolute_lifetime: int = 36000
    remember_me_idle_lifetime: int = 14 * 86400
    remember_me_absolute_lifetime: int = 30 * 86400
    interaction_lifetime: int = 900
    pushed_request_lifetime: int = 60
    # RFC 8628 §3.2: how long a device code and its user code live, and the polling interval.
    device_code_lifetime: int = 600
    device_poll_interval: int = 5
    access_token_signing_alg: SigningAlg = "ES256"
    id_token_signing_alg: SigningAlg = "RS256"
    # RFC 9449 (protocol/dpop.py): how old a proof may be, how far ahead of this clock,
    # whether every proof needs a nonce, and the key nonces are made with (every server
    # of a deployment derives the same one from the secret key; runtime.py).
    dpop_proof_max_age: int = 60
    dpop_clock_skew: int = 5
    dpop_nonce_required: bool = False
    dpop_nonce_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)

    @property
    def session_lifetimes(self) -> SessionLifetimes:
        return SessionLifetimes(
            idle=self.session_idle_lifetime, absolute=self.session_absolute_lifetime
        )

    def lifetimes_for(self, remember_me: bool) -> SessionLifetimes:
        """The lifetimes of a new session: longer when the person asked to be remembered."""
        if not remember_me:
            return self.session_lifetimes
        return SessionLifetimes(
            idle=self.remember_me_idle_lifetime,
            absolute=self.remember_me_absolute_lifetime,
            remember_me=True,
        )

    @property
    def token_endpoint(self) -> str:
        return f"{self.issuer}/token"

    @property
    def userinfo_endpoint(self) -> str:
        return f"{self.issuer}/userinfo"

    @property
    def default_audience(self) -> str:
        """The audience of access tokens not requested for a particular API: gatehouse's own
        UserInfo endpoint, the only resource gatehouse itself serves."""
        return self.userinfo_endpoint


@dataclass
class Provider:
    config: ProviderConfig
    # The tenant's clients and, where they have a presence, other tenants' multi-tenant ones.
    clients: TenantClients
    users: UserRepository
    scopes: ScopeRepository
    sessions: SessionRepository
    consents: ConsentRepository
    # Consents an administrator gave for every person of the tenant (protocol/admin_consent.py).
    admin_consents: AdminConsentRepository
    interactions: InteractionRepository
    codes: AuthorizationCodeRepository
    refresh_tokens: RefreshTokenRepository
    revocations: RevocationRepository
    apis: ApiRepository
    client_assertions: ClientAssertionRepository
    logout_deliveries: LogoutDeliveryRepository
    keys: KeyService
    audit: AuditRepository
    policy: TenantPolicyRepository
    second_factors: SecondFactorRepository
    totp: Totp
    recovery_codes: RecoveryCodes
    passkeys: PasskeyService
    attempts: AttemptRepository
    known_browsers: KnownBrowserRepository
    trusted_issuers: TrustedIssuerRepository
    pushed_requests: PushedRequestRepository
    device_authorizations: DeviceAuthorizationRepository
    # Password hashing: the login page and the password grant check passwords alike.
    passwords: Passwords
    dpop_proofs: DPoPProofRepository
    # Groups and the app roles assigned to people: the roles and groups claims (issuance).
    groups: GroupRepository
    # Federation to upstream identity providers (protocol/federation/): the upstreams, the
    # identities, states and sessions, and the key that seals what they keep secret.
    upstreams: UpstreamProviderRepository
    federation: FederationRepository
    federation_secrets: KeyEncryptor
    # One transaction for a change and the audit event that records it (Store.atomic).
    transaction: Callable[[], AbstractContextManager[Any]]
    clock: Callable[[], int] = field(default=lambda: int(time.time()))
    # private_key_jwt keys of clients registered with a jwks_uri: (uri, kid) -> key set.
    remote_jwks: Callable[[str, str | None], PublicKeySet] = field(
        default_factory=lambda: RemoteJwksCache().keys_for
    )
    # The keys of trusted external issuers (protocol/external_issuers.py), cached.
    issuer_keys: IssuerKeys = field(default_factory=IssuerKeys)
    # The discovery documents of upstream identity providers, cached.
    upstream_metadata: UpstreamMetadata = field(default_factory=UpstreamMetadata)
    # The second factors a person may be asked for, in the order the verification page
    # offers them (accounts/second_factor.py); runtime.py builds it.
    second_factor_methods: tuple[SecondFactorMethod, ...] = ()
    # RFC 9449 §6: the thumbprint of the DPoP key every token minted through this provider
    # is bound to; set only on the copy one token request works with (``bound_to``).
    token_binding: str | None = None

    def bound_to(self, jkt: str) -> Provider:
        """This provider for one token request whose tokens are bound to the DPoP key
        ``jkt``: whichever grant mints them, access tokens carry cnf.jkt (protocol/
        issuance.py) and a public client's refresh tokens are bound to the key."""
        return dataclasses.replace(self, token_binding=jkt)

    @functools.cached_property
    def throttle(self) -> Throttle:
        """Brute-force protection with this tenant's policy (accounts/throttle.py)."""
        return Throttle(self.attempts, self.policy)
