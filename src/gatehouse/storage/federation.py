"""Federation to upstream OpenID Connect identity providers (docs/federation.md): the
records, and the repository contracts (``storage.sql.federation`` implements them).

An upstream is configured per tenant by an operator (``gatehouse federation``): its alias
(the name in URLs and the audit log), the label of its button, its discovery document, the
client gatehouse is registered as there (the secret encrypted at rest, never hashed: it
must be sent to the upstream), the scopes to ask for, which upstream claims fill which
local profile fields, and whether a first sign-in may create a local account.

A federated identity ties (upstream alias, upstream subject) to one local user, once.
A federation state is a short-lived one-time row: the state of a sign-in sent to an
upstream (its nonce, PKCE verifier and the paused request, encrypted), a pending link
waiting for the person to prove the local account, or a sign-out sent to an upstream.
A federated session remembers which upstream signed an SSO session in, with the ID token
it gave, for the upstream's logout.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Literal, Protocol

StatePurpose = Literal["signin", "pending", "logout"]


@dataclass(frozen=True)
class UpstreamProvider:
    """``client_secret`` is the ciphertext (keys/encryption.py), bound to the alias.
    ``claim_mappings``: local field (username, email, name, given_name, family_name) ->
    upstream claim."""

    alias: str
    display_name: str
    discovery_url: str
    client_id: str
    client_secret: bytes = field(repr=False)
    scopes: tuple[str, ...]
    claim_mappings: dict[str, str]
    jit: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class FederatedIdentity:
    alias: str
    subject: str
    user_id: str
    created_at: int
    last_signed_in_at: int


@dataclass(frozen=True)
class FederationState:
    """``state_hash``: SHA-256 of the random value the browser carries (the ``state`` sent
    to the upstream), or derived from the paused request for what it leaves pending. ``payload``:
    ciphertext of what the step needs later (keys/encryption.py, bound to the hash)."""

    state_hash: str
    purpose: StatePurpose
    alias: str
    payload: bytes = field(repr=False)
    browser_hash: str | None
    created_at: int
    expires_at: int
    used_at: int | None = None


@dataclass(frozen=True)
class FederatedSession:
    """The SSO session ``sid`` was signed in by upstream ``alias``; ``id_token`` is the
    ciphertext of the upstream's ID token, its id_token_hint at logout."""

    sid: str
    alias: str
    id_token: bytes = field(repr=False)
    created_at: int
    expires_at: int


class UpstreamProviderRepository(Protocol):
    """The tenant's upstream identity providers, read and written whole."""

    def get(self, alias: str) -> UpstreamProvider | None:
        """The upstream called exactly ``alias``, or None."""

    def list(self) -> builtins.list[UpstreamProvider]:
        """Every upstream, ordered by alias."""

    def save(self, upstream: UpstreamProvider) -> None:
        """Insert or replace the upstream."""

    def delete(self, alias: str) -> bool:
        """Remove the upstream and every identity linked through it; False if there was
        none."""


class FederationRepository(Protocol):
    """Federated identities, federation states and federated sessions of the tenant."""

    def identity(self, alias: str, subject: str) -> FederatedIdentity | None:
        """The local account (alias, subject) is linked to, or None."""

    def identities_of(self, user_id: str) -> builtins.list[FederatedIdentity]:
        """Every upstream identity linked to ``user_id``, by alias."""

    def link(self, identity: FederatedIdentity) -> bool:
        """Tie (alias, subject) to the user: one INSERT, False when the pair is already
        linked (to anyone: the primary key keeps it unique)."""

    def touch(self, alias: str, subject: str, now: int) -> None:
        """Record a sign-in through the identity."""

    def create_state(self, state: FederationState) -> None:
        """Store a new state (its hash is random, or unique per interaction: a second
        pending link of one interaction replaces the first)."""

    def consume_state(
        self, state_hash: str, purpose: StatePurpose, now: int
    ) -> FederationState | None:
        """The unexpired, unused state, marked used: one conditional UPDATE, so a state is
        spent once however many requests race for it; None otherwise."""

    def record_session(self, session: FederatedSession) -> None:
        """Remember that SSO session ``sid`` came from an upstream (replacing any record)."""

    def session(self, sid: str, now: int) -> FederatedSession | None:
        """The unexpired record of ``sid``, or None."""

    def forget_session(self, sid: str) -> None:
        """Drop the record once the upstream's logout has been started."""
