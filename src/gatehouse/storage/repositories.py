"""Storage contracts the protocol core depends on. One Protocol per aggregate; the docstring
of each method is its contract. ``storage.sql`` is the implementation; tests run it on SQLite
and PostgreSQL rather than against fakes."""

from __future__ import annotations

from typing import Protocol

from gatehouse.keys.keyring import StoredKey
from gatehouse.storage.records import (
    Api,
    AuthorizationCode,
    AuthorizationCodeState,
    Client,
    ClientSecret,
    Consent,
    Interaction,
    RefreshToken,
    RefreshTokenState,
    Scope,
    SsoSession,
    User,
)


class ClientRepository(Protocol):
    def get(self, client_id: str) -> Client | None:
        """The client, or None."""

    def secrets(self, client_id: str) -> list[ClientSecret]:
        """Every secret of the client, usable or not."""

    def get_for_authentication(
        self, client_id: str
    ) -> tuple[Client, tuple[ClientSecret, ...]] | None:
        """The client and every secret of it, for client authentication on each token
        request, or None. May come from a per-process cache at most a few seconds old
        (``CLIENT_CACHE_SECONDS``); writes through this repository drop the cache at once."""

    def encrypted_secrets(self, client_id: str, now: int) -> list[tuple[str, bytes]]:
        """(id, ciphertext) of the usable secrets kept encrypted for client_secret_jwt."""


class UserRepository(Protocol):
    def get(self, user_id: str) -> User | None:
        """The user by id (`sub`), or None."""

    def find_by_login(self, login: str) -> User | None:
        """The user whose username or email equals ``login`` case-insensitively, or None."""

    def update_password_hash(self, user_id: str, password_hash: str) -> None:
        """Replace the hash (a rehash after parameter changes); not a password change."""


class ScopeRepository(Protocol):
    def get_many(self, names: list[str]) -> dict[str, Scope]:
        """The custom scopes among ``names`` that exist."""


class SessionRepository(Protocol):
    def create(self, session_id_hash: str, session: SsoSession) -> None:
        """Store a new SSO session under the hash of its cookie value."""

    def get_active(self, session_id_hash: str, now: int, idle_seconds: int) -> SsoSession | None:
        """The session if it has not ended, not passed its absolute expiry, and was seen
        within ``idle_seconds``; touching ``last_seen_at`` is ``touch``'s job."""

    def touch(self, session_id_hash: str, now: int) -> None:
        """Record activity (extends the idle window, never the absolute one)."""

    def end(self, session_id_hash: str, now: int) -> None:
        """End the session; later lookups return None."""

    def renew(
        self,
        session_id_hash: str,
        new_id_hash: str,
        user_id: str,
        amr: tuple[str, ...],
        now: int,
        expires_at: int,
        idle_seconds: int,
    ) -> bool:
        """The same person authenticated again in the browser of this live session: store it
        under ``new_id_hash`` (a new cookie value), with a new ``auth_time`` of ``now``,
        ``amr`` and ``expires_at``, keeping its ``sid``. False (and nothing changed) when the
        session has ended, expired or belongs to another user."""

    def end_by_sid(self, sid: str, now: int) -> None:
        """End the session with this public ``sid`` (sign-out without the browser's cookie)."""

    def active_by_sid(self, sid: str, now: int, idle_seconds: int) -> bool:
        """Whether the session with this public ``sid`` is alive (not ended, within its
        absolute and idle lifetimes)."""

    def touch_sid(self, sid: str, now: int) -> None:
        """Record activity on the session with this ``sid``."""


class ConsentRepository(Protocol):
    def get(self, user_id: str, client_id: str) -> Consent | None:
        """The stored consent of the user for the client, or None."""

    def grant(self, user_id: str, client_id: str, scopes: frozenset[str], now: int) -> Consent:
        """Add ``scopes`` to the stored consent (union), creating it if needed."""

    def revoke(self, user_id: str, client_id: str) -> bool:
        """Delete the consent; True when there was one."""

    def list_for_user(self, user_id: str) -> list[Consent]:
        """Every consent the user has given."""


class InteractionRepository(Protocol):
    def create(self, interaction: Interaction) -> None:
        """Store a paused authorization request."""

    def get(self, id_hash: str, now: int) -> Interaction | None:
        """The interaction if it exists, is not completed and has not expired."""

    def get_completed(self, id_hash: str, now: int) -> Interaction | None:
        """The interaction if it exists, is completed and has not expired: the browser came
        back to a sign-in it has finished."""

    def mark_login(self, id_hash: str, now: int) -> None:
        """Record that the person has just logged in for this interaction."""

    def mark_consent(self, id_hash: str) -> None:
        """Record that the person consented in this interaction."""

    def complete(self, id_hash: str, now: int) -> bool:
        """Mark it completed; True only the first time (one-time, database-enforced)."""


class AuthorizationCodeRepository(Protocol):
    def create(self, code: AuthorizationCode) -> None:
        """Store a new code."""

    def get(self, code_hash: str) -> AuthorizationCode | None:
        """The code whatever its state, or None."""

    def get_state(self, code_hash: str) -> AuthorizationCodeState | None:
        """The code whatever its state, read in one go with its user and whether its grant
        was revoked; or None when there is no such code."""

    def consume(self, code_hash: str, now: int, jti: str, jti_expires_at: int) -> bool:
        """Mark the code used and record the access token issued from it, in one conditional
        UPDATE. True for exactly one caller, however many race."""


class RefreshTokenRepository(Protocol):
    def create(self, token: RefreshToken) -> None:
        """Store a new refresh token (only its hash)."""

    def get(self, token_hash: str) -> RefreshToken | None:
        """The token whatever its state, or None."""

    def get_state(self, token_hash: str) -> RefreshTokenState | None:
        """The token whatever its state, read in one go with its user and whether its family
        was revoked; or None."""

    def rotate(self, used_hash: str, successor: RefreshToken, now: int) -> bool:
        """Rotation, atomically: mark the presented token used and store its successor. True
        for exactly one caller however many race, and never for a used or revoked token;
        when False nothing was stored."""

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
        """Revoke every refresh token of the user for the client; returns how many."""


class RevocationRepository(Protocol):
    def revoke_grant(self, grant_id: str, reason: str, now: int) -> None:
        """Revoke every refresh token of the grant (token family), now and later."""

    def deny_access_token(self, jti: str, expires_at: int) -> None:
        """Put a JWT access token on the deny-list until it would expire."""

    def is_access_token_denied(self, jti: str) -> bool:
        """Whether the access token was revoked."""


class ApiRepository(Protocol):
    def get(self, identifier: str) -> Api | None:
        """The API with this identifier (its `aud`), or None."""

    def list(self) -> list[Api]:
        """Every API of the tenant, with its scopes and roles."""

    def granted_roles(self, client_id: str, api_identifier: str) -> frozenset[str]:
        """The app roles an administrator granted to the client on the API."""


class ClientAssertionRepository(Protocol):
    def record_jti(self, client_id: str, jti: str, expires_at: int, now: int) -> bool:
        """Remember a client assertion's jti until it expires; True the first time only
        (database-enforced, RFC 7523 §3 item 7)."""


class KeyRepository(Protocol):
    def all(self) -> list[StoredKey]:
        """Every signing key's public record, retired ones included."""

    def private_key(self, kid: str) -> bytes:
        """The encrypted private key blob of ``kid``."""

    def add(self, key: StoredKey, private_key_encrypted: bytes) -> None:
        """Store a new key."""

    def retire(self, retirements: list[tuple[str, int, int]]) -> None:
        """Set (retired_at, published_until) for each (kid, retired_at, published_until)."""
