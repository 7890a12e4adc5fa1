"""Storage contracts. One Protocol per aggregate; the docstring of each method is its
contract, and every method a service calls (protocol, accounts, admin, web, CLI) is here.
``storage.sql`` is the implementation; tests run it on SQLite and PostgreSQL rather than
against fakes.

Every method may raise ``storage.errors.DatabaseUnavailable`` when the database cannot be
reached; a method that only reads has then already been tried once more on a fresh
connection. Times are Unix seconds; ``now`` is the caller's clock.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Protocol

from gatehouse.storage.attempts import AttemptRepository as AttemptRepository
from gatehouse.storage.attempts import KnownBrowserRepository as KnownBrowserRepository
from gatehouse.storage.device_authorizations import (
    DeviceAuthorizationRepository as DeviceAuthorizationRepository,
)

# The queue of back-channel logouts, the audit log and the tenant's policy have modules of
# their own; they are repositories all the same.
from gatehouse.storage.logout_deliveries import LogoutDeliveryRepository as LogoutDeliveryRepository
from gatehouse.storage.pushed_requests import PushedRequestRepository as PushedRequestRepository
from gatehouse.storage.records import (
    Api,
    AuthorizationCode,
    AuthorizationCodeState,
    Client,
    ClientSecret,
    Consent,
    ExchangeGrant,
    OfflineGrant,
    RefreshToken,
    RefreshTokenState,
    RoleGrant,
    Scope,
    StoredKey,
    User,
    UserProfile,
)

# Re-exported: every repository contract is importable from here.
from gatehouse.storage.sign_in_repositories import (
    InteractionRepository as InteractionRepository,
)
from gatehouse.storage.sign_in_repositories import PasskeyRepository as PasskeyRepository
from gatehouse.storage.sign_in_repositories import (
    SecondFactorRepository as SecondFactorRepository,
)
from gatehouse.storage.sign_in_repositories import (
    SessionRepository as SessionRepository,
)
from gatehouse.storage.tenant_records import AuditRepository as AuditRepository
from gatehouse.storage.tenant_records import TenantPolicyRepository as TenantPolicyRepository


class ClientRepository(Protocol):
    """Client registrations and their secrets. Reads for authentication may come from a
    per-process cache that another process's write reaches within a few seconds
    (``storage/sql/cache.py``); every write through this repository drops it at once."""

    def get(self, client_id: str) -> Client | None:
        """The client, or None. Never cached."""

    def get_for_authentication(
        self, client_id: str
    ) -> tuple[Client, tuple[ClientSecret, ...]] | None:
        """The client and every secret of it (usable or not), read in one snapshot, for
        client authentication on each token request; or None. May be cached; an unknown
        client is not, so a client registered a moment later works at once."""

    def list(self) -> list[Client]:
        """Every client of the tenant, by client_id."""

    def secrets(self, client_id: str) -> builtins.list[ClientSecret]:
        """Every secret of the client, usable or not. One lean statement."""

    def encrypted_secrets(self, client_id: str, now: int) -> builtins.list[tuple[str, bytes]]:
        """(secret id, ciphertext) of the secrets usable at ``now`` that are kept encrypted
        for client_secret_jwt (every other secret exists only as a digest)."""

    def insert(
        self, client: Client, secret: ClientSecret | None, encrypted: bytes | None = None
    ) -> None:
        """Register ``client`` and, in the same transaction, its first secret (with its
        ciphertext for client_secret_jwt). Fails on a client_id already taken."""

    def update(self, client: Client) -> None:
        """Replace the registration of ``client.client_id`` with ``client``, all but its
        ``created_at``. Its secrets are left alone."""

    def register_builtin(self, client: Client) -> None:
        """Store one of gatehouse's own built-in clients (it has no secret): insert it, or
        replace the registration under its client_id with it (``created_at`` kept).
        Idempotent, and concurrent callers all succeed."""

    def replace_secrets(
        self, client_id: str, secret: ClientSecret | None, encrypted: bytes | None = None
    ) -> None:
        """Delete every secret of the client and store ``secret`` (if any) instead, in one
        transaction: the old secrets stop working as the new one starts."""

    def add_secret(self, secret: ClientSecret, encrypted: bytes | None = None) -> None:
        """Store a further secret of ``secret.client_id`` (rotation without downtime)."""

    def revoke_secret(self, client_id: str, secret_id: str, now: int) -> bool:
        """Mark the secret revoked at ``now``; True when it existed and was not revoked."""

    def delete(self, client_id: str) -> bool:
        """Delete the client with everything it was given, in one transaction: secrets,
        consents, codes, refresh tokens, interactions, app-role grants, and the link of
        any API that authenticated as it (so a client later registered under the same id
        inherits nothing). True when it existed."""


class ClientAssertionRepository(Protocol):
    def record_jti(self, client_id: str, jti: str, expires_at: int, now: int) -> bool:
        """Remember a client assertion's jti until it expires; True the first time only
        (database-enforced by a unique key, RFC 7523 §3 item 7). Expired entries go."""


class DPoPProofRepository(Protocol):
    def record(self, jti_hash: str, expires_at: int) -> bool:
        """Remember a DPoP proof (the hash of its key and jti) until ``expires_at``; True
        the first time only: one INSERT that the primary key lets through once (RFC 9449
        §11.1). The purge deletes expired entries."""


class UserRepository(Protocol):
    def get(self, user_id: str) -> User | None:
        """The user by id (`sub`), or None. One lean statement."""

    def find_by_login(self, login: str) -> User | None:
        """The user whose username or email equals ``login`` case-insensitively (after
        stripping spaces), or None."""

    def list(self) -> list[User]:
        """Every user of the tenant, by username."""

    def insert(self, user: User) -> None:
        """Store a new user. Its username and email are also stored casefolded, which is
        what ``find_by_login`` matches and what the database keeps unique: raises
        ``AlreadyExists`` when another user has the same username or email."""

    def update_profile(self, user_id: str, profile: UserProfile, now: int) -> None:
        """Replace the user's profile claims with ``profile`` (None clears a claim), with
        the same uniqueness of the email as ``insert``."""

    def set_password(self, user_id: str, password_hash: str, now: int) -> None:
        """A new password: store its hash with ``password_changed_at`` = ``now``. Tokens
        from sign-ins before ``now`` stop working by that date; ending sessions and
        revoking grants is ``SessionRepository.end_sessions``' job."""

    def update_password_hash(self, user_id: str, password_hash: str) -> None:
        """Replace the hash (a rehash after parameter changes); not a password change."""

    def set_disabled(self, user_id: str, disabled: bool, now: int) -> None:
        """Disable or enable sign-in; ending what a disabled user holds is
        ``SessionRepository.end_sessions``' job."""

    def delete(self, user_id: str) -> bool:
        """Delete the user with its sessions, consents, codes, refresh tokens and passkeys,
        in one transaction. True when it existed."""


class ScopeRepository(Protocol):
    """Custom scopes (not belonging to an API) and their consent-page descriptions."""

    def get_many(self, names: Sequence[str]) -> dict[str, Scope]:
        """The custom scopes among ``names`` that exist, by name."""

    def list(self) -> list[Scope]:
        """Every custom scope, by name."""

    def upsert(self, name: str, description: str, now: int) -> bool:
        """Create the scope or change its description; True when something changed."""

    def delete(self, name: str) -> bool:
        """Delete the scope; True when it existed. Clients allowed it keep the name."""


class ConsentRepository(Protocol):
    def get(self, user_id: str, client_id: str) -> Consent | None:
        """The stored consent of the user for the client, or None. One lean statement."""

    def grant(
        self,
        user_id: str,
        client_id: str,
        scopes: frozenset[str],
        now: int,
        declined: frozenset[str] = frozenset(),
    ) -> Consent:
        """Record a consent-page answer: add ``scopes`` to the granted ones and ``declined``
        to the declined ones, each taken out of the other set (the latest answer about a
        scope wins), creating the consent if needed; the result. Concurrent grants for the
        same pair both land (insert, or merge on conflict)."""

    def revoke(self, user_id: str, client_id: str) -> bool:
        """Delete the consent; True when there was one. Tokens are ``RefreshTokenRepository.
        revoke_for``'s job."""

    def list_for_user(self, user_id: str) -> list[Consent]:
        """Every consent the user has given, by client_id."""


class AuthorizationCodeRepository(Protocol):
    def create(self, code: AuthorizationCode) -> None:
        """Store a new code (only its hash). One lean INSERT."""

    def get(self, code_hash: str) -> AuthorizationCode | None:
        """The code whatever its state, or None."""

    def get_state(self, code_hash: str) -> AuthorizationCodeState | None:
        """The code whatever its state, read in one statement with its user and whether its
        grant was revoked; or None when there is no such code."""

    def consume(self, code_hash: str, now: int, jti: str, jti_expires_at: int) -> bool:
        """Mark the code used and record the access token issued from it, in one conditional
        UPDATE. True for exactly one caller, however many race. Never retried when the
        connection is lost: the outcome is then unknown (``DatabaseUnavailable``)."""


class RefreshTokenRepository(Protocol):
    def create(self, token: RefreshToken) -> None:
        """Store a new refresh token (only its hash). One lean INSERT."""

    def get(self, token_hash: str) -> RefreshToken | None:
        """The token whatever its state, or None."""

    def get_state(self, token_hash: str) -> RefreshTokenState | None:
        """The token whatever its state, read in one statement with its user and whether its
        family was revoked; or None."""

    def rotate(self, used_hash: str, successor: RefreshToken, now: int) -> bool:
        """Rotation, atomically: mark the presented token used and store its successor. True
        for exactly one caller however many race, and never for a used or revoked token;
        when False nothing was stored. PostgreSQL: one statement; SQLite: lean statements
        whose loser deletes its successor. The presented token records the successor's
        hash."""

    def replace_lost_successor(
        self, retried_hash: str, lost_hash: str, successor: RefreshToken, now: int
    ) -> bool:
        """A retry of the used token ``retried_hash`` whose successor ``lost_hash`` never
        reached the client: in one transaction, mark the lost successor used (so that
        presenting it later is reuse), store ``successor`` and make it the retried token's
        successor. False, with nothing changed, when the lost successor was used or revoked
        meanwhile."""

    def extend_idle(
        self,
        token_hash: str,
        idle_expires_at: int,
        grant_id: str,
        access_token_jti: str,
        access_token_expires_at: int,
    ) -> None:
        """A refresh without rotation: push the idle expiry of the presented token, and record
        the access token issued with it against its grant (in one transaction), so that
        revoking the family puts that access token on the deny-list too."""

    def revoke_for(self, user_id: str, client_id: str, now: int) -> int:
        """Revoke every grant of the user for the client (refresh tokens, and codes not yet
        redeemed: consent withdrawn) and put the unexpired access tokens issued from them on
        the deny-list, in one transaction; returns how many refresh tokens were revoked."""

    def offline_for_user(self, user_id: str, now: int) -> builtins.list[OfflineGrant]:
        """The user's live offline refresh tokens (no SSO session: ``sid`` NULL; not used,
        revoked or expired, their family not revoked), each with when its grant was first
        issued; by client_id, then newest first."""


class RevocationRepository(Protocol):
    def revoke_grant(self, grant_id: str, reason: str, now: int) -> None:
        """Revoke the grant (token family): its refresh tokens now and any stored later,
        and every unexpired access token issued from it goes on the deny-list. Idempotent."""

    def deny_access_token(self, jti: str, expires_at: int) -> None:
        """Put a JWT access token on the deny-list until it would expire. Idempotent."""

    def record_issued_access_token(self, grant_id: str, jti: str, expires_at: int) -> None:
        """Record an access token issued from a grant that no code or refresh token row
        holds (one from the authorization endpoint itself), so that revoking the grant puts
        it on the deny-list too."""

    def is_access_token_denied(self, jti: str) -> bool:
        """Whether the access token was revoked."""


class ApiRepository(Protocol):
    """APIs (RFC 8707 resources) with their delegated scopes and app roles, and the app
    roles granted to clients. Reads may come from the per-process cache the client
    repository shares (a few seconds old at most); writes through either drop it."""

    def get(self, identifier: str) -> Api | None:
        """The API with this identifier (its `aud`), or None. Never cached."""

    def list(self) -> list[Api]:
        """Every API of the tenant, with its scopes and roles, by identifier. May be cached."""

    def save(self, api: Api, now: int) -> None:
        """Create or replace the API with its scopes and roles, in one transaction:
        afterwards ``get(api.identifier)`` returns it (permissions ordered by name). Grants
        of app roles it no longer defines are revoked with it."""

    def delete(self, identifier: str) -> bool:
        """Delete the API with its scopes, roles, role grants and token-exchange grants;
        True when it existed."""

    def granted_roles(self, client_id: str, api_identifier: str) -> frozenset[str]:
        """The app roles an administrator granted to the client on the API. May be cached."""

    def role_grants(self, client_id: str | None = None) -> builtins.list[RoleGrant]:
        """Every app-role grant, or one client's, by client, API and role."""

    def grant_role(self, client_id: str, api_identifier: str, role: str, now: int) -> None:
        """Grant the app role to the client. Idempotent."""

    def revoke_role(self, client_id: str, api_identifier: str, role: str) -> bool:
        """Take the app role back; True when it was granted."""

    def exchange_grant(self, client_id: str, api_identifier: str) -> ExchangeGrant | None:
        """Whether the client may exchange user tokens for tokens for the API (RFC 8693
        on-behalf-of), and how; None when it may not. May be cached."""

    def exchange_grants(self, client_id: str | None = None) -> builtins.list[ExchangeGrant]:
        """Every token-exchange grant, or one client's, by client and API."""

    def grant_exchange(self, grant: ExchangeGrant, now: int) -> bool:
        """Allow the exchange, or change its impersonation switch; True when something
        changed (a grant made again as it is changes nothing)."""

    def revoke_exchange(self, client_id: str, api_identifier: str) -> bool:
        """Take the exchange back; True when it was granted."""


class KeyRepository(Protocol):
    def all(self) -> list[StoredKey]:
        """Every signing key's public record, retired ones included, oldest first."""

    def private_key(self, kid: str) -> bytes:
        """The encrypted private key blob of ``kid``; fails for an unknown kid."""

    def add(self, key: StoredKey, private_key_encrypted: bytes) -> None:
        """Store a new key with its encrypted private half."""

    def retire(self, retirements: list[tuple[str, int, int]]) -> None:
        """Set (retired_at, published_until) for each (kid, retired_at, published_until),
        in one transaction."""
