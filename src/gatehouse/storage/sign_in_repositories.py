"""Storage contracts of signing in: SSO sessions, the interactions that pause an
authorization request, people's second factors and passkeys. Part of ``storage.repositories``
(which re-exports them), in a module of their own to keep each module short; the same
rules hold (see that module's docstring)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Protocol

from gatehouse.observability.audit import Actor
from gatehouse.storage.records import (
    EndedSession,
    Interaction,
    Passkey,
    PasskeyChallenge,
    SessionSelector,
    SsoSession,
    TotpAuthenticator,
)


class SessionRepository(Protocol):
    """SSO sessions, stored under the SHA-256 of their cookie value. A session is alive
    until it ends, reaches ``expires_at`` or goes unseen for its ``idle_lifetime``;
    ``idle_seconds`` is the idle lifetime of a session that recorded none (one started
    before sessions recorded theirs)."""

    def create(self, session_id_hash: str, session: SsoSession) -> None:
        """Store a new SSO session under the hash of its cookie value."""

    def get_active(self, session_id_hash: str, now: int, idle_seconds: int) -> SsoSession | None:
        """The session if it is alive; touching ``last_seen_at`` is ``touch``'s job. One
        lean statement."""

    def touch(self, session_id_hash: str, now: int) -> None:
        """Record activity (extends the idle window, never the absolute one)."""

    def end_sessions(
        self, which: SessionSelector, now: int, reason: str, actor: Actor
    ) -> builtins.list[EndedSession]:
        """Every sign-out, in one transaction: end the live sessions ``which`` selects
        (later lookups return None, and the refresh tokens bound to them stop working);
        revoke under ``reason`` the grants of codes issued within them and not yet redeemed
        (with ``which.every_grant``: every grant of the user, refresh tokens and codes);
        queue a ``LogoutDelivery`` for each client that took part in an ended session
        and registered a back-channel logout URI; and record a ``session.ended`` audit
        event per session, caused by ``actor``. What ended, by sid; a session ended by a
        concurrent sign-out is in only one of the two answers."""

    def record_client(self, sid: str, client_id: str, now: int) -> None:
        """Remember that the client took part in the session ``sid`` (it was issued a code
        within it), so that ending the session tells it. Idempotent; one lean statement."""

    def renew(
        self, session_id_hash: str, new_id_hash: str, renewed: SsoSession, idle_seconds: int
    ) -> bool:
        """The same person (``renewed.user_id``) authenticated again in the browser of this
        live session, at ``renewed.last_seen_at``: store it under ``new_id_hash`` (a new
        cookie value) with ``renewed``'s auth_time, amr, acr, last_seen_at, expires_at,
        remember_me, idle_lifetime and device, keeping its ``sid`` and ``created_at``. False
        (and nothing changed) when the session has ended, expired or belongs to another
        user. One conditional UPDATE."""

    def active_by_sid(self, sid: str, now: int, idle_seconds: int) -> bool:
        """Whether the session with this public ``sid`` is alive. One lean statement."""

    def touch_sid(self, sid: str, now: int) -> None:
        """Record activity on the session with this ``sid``. One lean statement."""

    def list_for_user(self, user_id: str, now: int, idle_seconds: int) -> list[SsoSession]:
        """The user's live sessions, most recently seen first."""


class InteractionRepository(Protocol):
    """Authorization requests paused for the person to log in or consent."""

    def create(self, interaction: Interaction) -> None:
        """Store a paused authorization request."""

    def get(self, id_hash: str, now: int) -> Interaction | None:
        """The interaction if it exists, is not completed and has not expired."""

    def get_completed(self, id_hash: str, now: int) -> Interaction | None:
        """The interaction if it exists, is completed and has not expired: the browser came
        back to a sign-in it has finished."""

    def mark_login(self, id_hash: str, now: int) -> None:
        """Record that the person has just logged in for this interaction (not once it
        is completed)."""

    def mark_consent(self, id_hash: str, granted_scopes: tuple[str, ...]) -> None:
        """Record that the person consented in this interaction, and the requested scopes
        the request gets (not once it is completed)."""

    def complete(self, id_hash: str, now: int) -> bool:
        """Mark it completed; True only the first time: one conditional UPDATE."""

    def record_factors(
        self,
        id_hash: str,
        user_id: str,
        amr: tuple[str, ...],
        remember_me: bool = False,
        device: str | None = None,
    ) -> None:
        """Record who the factors verified so far identified, those factors, and what the
        person chose on the login page ("Remember me", the device), for when the sign-in
        finishes (not once it is completed)."""

    def count_factor_failure(self, id_hash: str) -> int:
        """Add one wrong second-factor answer; the count afterwards (0 when the
        interaction is completed or gone). One conditional UPDATE, then a read."""


class SecondFactorRepository(Protocol):
    """People's TOTP authenticators and recovery codes (accounts/totp.py, recovery_codes.py)."""

    def totp(self, user_id: str) -> TotpAuthenticator | None:
        """The person's TOTP authenticator, confirmed or not, or None."""

    def start_totp(self, authenticator: TotpAuthenticator) -> None:
        """Store an unconfirmed authenticator, replacing an unconfirmed one of the same
        person; a confirmed one is left alone (``confirm_totp`` then fails)."""

    def confirm_totp(self, user_id: str, step: int, now: int) -> bool:
        """Confirm the unconfirmed authenticator with the time step of its first code; True
        only the first time. One conditional UPDATE."""

    def use_totp_step(self, user_id: str, step: int) -> bool:
        """Accept a code of time ``step`` from the confirmed authenticator: True only when
        ``step`` is later than the last accepted one (RFC 6238 §5.2: a code is accepted
        once), which it becomes. One conditional UPDATE, so two racing uses of one code
        cannot both succeed."""

    def remove_totp(self, user_id: str) -> bool:
        """Delete the person's authenticator and recovery codes; True when there was one."""

    def replace_recovery_codes(self, user_id: str, code_hashes: Sequence[str], now: int) -> None:
        """Delete the person's recovery codes and store these instead."""

    def use_recovery_code(self, user_id: str, code_hash: str, now: int) -> bool:
        """Mark the unused code used; True only the first time. One conditional UPDATE."""

    def unused_recovery_codes(self, user_id: str) -> int:
        """How many of the person's recovery codes are left."""


class PasskeyRepository(Protocol):
    """Passkeys (WebAuthn credentials), kept until their owner removes them, and the
    one-time challenges of their ceremonies."""

    def add(self, passkey: Passkey) -> bool:
        """Store a new passkey; False (nothing stored) when its credential id is taken."""

    def get_by_credential_id(self, credential_id: str) -> Passkey | None:
        """The passkey with this credential id (base64url), or None."""

    def list_for_user(self, user_id: str) -> builtins.list[Passkey]:
        """The user's passkeys, oldest first (by name within a second)."""

    def record_use(self, passkey_id: str, sign_count: int, backed_up: bool, now: int) -> bool:
        """A verified use: store the authenticator's new counter, backup state and
        ``last_used_at``. One conditional UPDATE, False when the stored counter is already
        as high (a counter of 0 is an authenticator that keeps none, WebAuthn §6.1.1)."""

    def remove(self, user_id: str, passkey_id: str) -> Passkey | None:
        """Delete the user's passkey; the passkey, or None when the user has none by that id."""

    def add_challenge(self, challenge: PasskeyChallenge) -> None:
        """Store a challenge just issued."""

    def spend_challenge(
        self, challenge_hash: str, ceremony: str, browser_hash: str, now: int
    ) -> PasskeyChallenge | None:
        """The challenge, if it was issued for ``ceremony`` to this browser, is unexpired
        and unspent; it is spent by the same conditional UPDATE, so only one caller ever
        gets it, however many race."""
