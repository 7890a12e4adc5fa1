"""Passkeys: registering them, signing in with them (passwordless or as a second factor), and
listing and removing them. The WebAuthn rules themselves are the library's
(``accounts/webauthn.py``); this is gatehouse's side of each ceremony.

Each ceremony (WebAuthn §7) has two steps. The first issues a random challenge, stored only
as its SHA-256 for ``CHALLENGE_LIFETIME`` and bound to the browser it went to, and to the
person registering or the paused sign-in it is for. The second spends that challenge (one
conditional UPDATE) before anything is verified, so each challenge is good for one answer,
right or wrong, and a replayed response finds it spent. What a verified response changes is
written in one transaction with its audit event; a refused one changes nothing but the
spent challenge, and is recorded as ``passkey.failed``.
"""

from __future__ import annotations

import secrets
import unicodedata
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any, Literal

from gatehouse.accounts.webauthn import (
    TIMEOUT_SECONDS,
    PasskeyProblem,
    PasskeyRejected,
    RelyingParty,
    UserVerification,
    creation_options,
    parse_assertion,
    parse_registration,
    request_options,
    verify_assertion,
    verify_registration,
)
from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidRequest
from gatehouse.storage.records import AuditEvent, Passkey, PasskeyChallenge, User
from gatehouse.storage.repositories import AuditRepository, PasskeyRepository, UserRepository

# As long as the browser may wait for the person: an answer in time finds its challenge.
CHALLENGE_LIFETIME = TIMEOUT_SECONDS
MAX_NAME_LENGTH = 64
MAX_PASSKEYS = 20  # per person: enough for every device, not a way to fill the database
_CHALLENGE_BYTES = 32
_USER_HANDLE_BYTES = 32


@dataclass(frozen=True)
class AuditContext:
    """Where a ceremony's events come from: the person's address, and the application
    they were signing in to (if any)."""

    ip: str | None
    client_id: str | None = None


@dataclass(frozen=True)
class VerifiedPasskey:
    """A passkey the person just proved they hold: whose, which, and how."""

    user: User
    passkey: Passkey
    user_verified: bool

    @property
    def methods(self) -> tuple[str, ...]:
        return passkey_methods(self.passkey, self.user_verified)

    @property
    def passwordless_amr(self) -> tuple[str, ...]:
        """The amr of a sign-in with this passkey alone: with user verification it is two
        factors (possession of the key, and knowledge or inherence to unlock it): "mfa"."""
        return (*self.methods, "mfa") if self.user_verified else self.methods


def passkey_methods(passkey: Passkey, user_verified: bool) -> tuple[str, ...]:
    """RFC 8176 §2 values a use of ``passkey`` proves. "swk" for a synced passkey (backup
    eligible: its private key is copied between devices by software, whatever guards it on
    each), "hwk" for one bound to a single device (a security key, a TPM, a secure element);
    "user" for the presence test every assertion passes; "pin" when the authenticator
    verified the person (PIN, pattern or biometric: WebAuthn does not say which, and "pin"
    is RFC 8176's value for unlocking a key on the device)."""
    kind = "swk" if passkey.backup_eligible else "hwk"
    return (kind, "user", "pin") if user_verified else (kind, "user")


class InvalidPasskeyName(InvalidRequest):
    """A name a passkey cannot have: ``reason`` says why, for the page to word it."""

    def __init__(self, reason: Literal["length", "characters"], description: str) -> None:
        super().__init__(description)
        self.reason = reason


class TooManyPasskeys(InvalidRequest):
    """A person who has MAX_PASSKEYS passkeys asked to add one more."""


def passkey_name(raw: str | None) -> str:
    """The name a person gave a passkey: trimmed, 1 to MAX_NAME_LENGTH printable
    characters."""
    name = " ".join((raw or "").split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise InvalidPasskeyName(
            "length", f"give the passkey a name of 1 to {MAX_NAME_LENGTH} characters"
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidPasskeyName("characters", "a passkey's name cannot contain control characters")
    return name


@dataclass
class PasskeyService:
    passkeys: PasskeyRepository
    users: UserRepository
    audit: AuditRepository
    transaction: Callable[[], AbstractContextManager[Any]]
    relying_party: RelyingParty

    # -- the challenges ---------------------------------------------------------------------

    def _issue(self, now: int, **binding: Any) -> bytes:
        challenge = secrets.token_bytes(_CHALLENGE_BYTES)
        self.passkeys.add_challenge(
            PasskeyChallenge(
                challenge_hash=sha256_digest(challenge.hex()),
                created_at=now,
                expires_at=now + CHALLENGE_LIFETIME,
                **binding,
            )
        )
        return challenge

    def _spend(
        self, challenge: bytes, ceremony: str, browser_hash: str, now: int
    ) -> PasskeyChallenge:
        spent = self.passkeys.spend_challenge(
            sha256_digest(challenge.hex()), ceremony, browser_hash, now
        )
        if spent is None:
            raise PasskeyRejected("challenge", PasskeyProblem.EXPIRED)
        return spent

    # -- registration (WebAuthn §7.1) -------------------------------------------------------

    def registration_options(self, user: User, browser_hash: str, now: int) -> dict[str, Any]:
        """Options for navigator.credentials.create(): a new passkey for ``user``, signed
        in in this browser. The user handle is the one their passkeys already carry, or a
        new random one (WebAuthn §14.6.1: never the username, email or id)."""
        existing = self.passkeys.list_for_user(user.id)
        if len(existing) >= MAX_PASSKEYS:
            raise TooManyPasskeys(
                f"you have {MAX_PASSKEYS} passkeys, the most one account may have; remove "
                "one you no longer use first"
            )
        handle = existing[0].user_handle if existing else _new_user_handle()
        challenge = self._issue(
            now,
            ceremony="register",
            browser_hash=browser_hash,
            user_id=user.id,
            interaction_hash=None,
            user_handle=handle,
        )
        return creation_options(
            self.relying_party,
            challenge=challenge,
            user_handle=handle,
            user_name=user.username,
            display_name=user.name or user.username,
            exclude=[(p.credential_id, p.transports) for p in existing],
        )

    def register(
        self,
        user: User,
        browser_hash: str,
        name: str,
        response: Mapping[str, Any],
        now: int,
        context: AuditContext,
    ) -> Passkey:
        """Verify the browser's answer to ``registration_options`` and store the passkey
        under ``name``; ``passkey.registered`` is recorded with it."""
        registration = parse_registration(response)
        spent = self._spend(registration.challenge, "register", browser_hash, now)
        if spent.user_id != user.id or spent.user_handle is None:
            # Issued to whoever was signed in in this browser before.
            raise PasskeyRejected("wrong_user", PasskeyProblem.EXPIRED)
        credential = verify_registration(self.relying_party, registration)
        passkey = Passkey(
            id=str(uuid.uuid4()),
            user_id=user.id,
            credential_id=credential.credential_id,
            public_key=credential.public_key,
            sign_count=credential.sign_count,
            transports=credential.transports,
            aaguid=credential.aaguid,
            backup_eligible=credential.backup_eligible,
            backed_up=credential.backed_up,
            user_handle=spent.user_handle,
            name=name,
            created_at=now,
        )
        with self.transaction():
            if not self.passkeys.add(passkey):
                raise PasskeyRejected("already_registered", PasskeyProblem.ALREADY_REGISTERED)
            self._record("passkey.registered", now, user.id, context, passkey)
        return passkey

    # -- listing and removing ---------------------------------------------------------------

    def list(self, user_id: str) -> list[Passkey]:
        return self.passkeys.list_for_user(user_id)

    def remove(
        self, user: User, passkey_id: str, now: int, context: AuditContext
    ) -> Passkey | None:
        """Remove one of ``user``'s passkeys (``passkey.removed``); None when they have none
        by that id."""
        with self.transaction():
            removed = self.passkeys.remove(user.id, passkey_id)
            if removed is not None:
                self._record("passkey.removed", now, user.id, context, removed)
        return removed

    # -- authentication (WebAuthn §7.2) -----------------------------------------------------

    def authentication_options(
        self,
        browser_hash: str,
        now: int,
        *,
        interaction_hash: str,
        user: User | None = None,
        user_verification: UserVerification = "required",
        allow: Sequence[Passkey] | None = None,
    ) -> dict[str, Any]:
        """Options for navigator.credentials.get() in the paused sign-in
        ``interaction_hash``. Without ``user``: any passkey of this RP (passwordless, and
        conditional UI); with one: that person's passkeys, or those of them in ``allow`` (a
        second factor after their password, where "preferred" user verification is
        enough)."""
        if user is not None and allow is None:
            allow = self.passkeys.list_for_user(user.id)
        allow = [] if user is None or allow is None else allow
        challenge = self._issue(
            now,
            ceremony="authenticate",
            browser_hash=browser_hash,
            user_id=None if user is None else user.id,
            interaction_hash=interaction_hash,
            user_handle=None,
        )
        return request_options(
            self.relying_party,
            challenge=challenge,
            allow=[(p.credential_id, p.transports) for p in allow],
            user_verification=user_verification,
        )

    def verify_assertion(
        self,
        response: Mapping[str, Any],
        browser_hash: str,
        now: int,
        *,
        interaction_hash: str,
        context: AuditContext,
        user: User | None = None,
        require_user_verification: bool = True,
    ) -> VerifiedPasskey:
        """Verify the browser's answer to ``authentication_options`` (the same
        ``interaction_hash`` and ``user``), and record the use: the new counter, and
        ``passkey.used``. Refused: PasskeyRejected, recorded as ``passkey.failed``. Call it
        outside a transaction: the spent challenge and the failure must stay written."""
        try:
            return self._verify(
                response, browser_hash, now, interaction_hash, context, user,
                require_user_verification,
            )  # fmt: skip
        except PasskeyRejected as rejected:
            with self.transaction():
                self.audit.record(
                    AuditEvent(
                        type="passkey.failed",
                        occurred_at=now,
                        actor="user",
                        user_id=rejected.user_id,
                        client_id=context.client_id,
                        ip=context.ip,
                        details={"reason": rejected.reason},
                    )
                )
            raise

    def _verify(
        self,
        response: Mapping[str, Any],
        browser_hash: str,
        now: int,
        interaction_hash: str,
        context: AuditContext,
        user: User | None,
        require_user_verification: bool,
    ) -> VerifiedPasskey:
        assertion = parse_assertion(response)
        spent = self._spend(assertion.challenge, "authenticate", browser_hash, now)
        expected_user = None if user is None else user.id
        if spent.interaction_hash != interaction_hash or spent.user_id != expected_user:
            raise PasskeyRejected("challenge", PasskeyProblem.EXPIRED)
        passkey = self.passkeys.get_by_credential_id(assertion.credential_id)
        if passkey is None:
            raise PasskeyRejected("unknown_credential", PasskeyProblem.NOT_HERE)
        # WebAuthn §7.2 step 6: the credential must be the identified person's, and the user
        # handle it returns (always, for a discoverable credential) its owner's.
        owner = self.users.get(passkey.user_id)
        mismatch = (user is not None and passkey.user_id != user.id) or (
            (assertion.user_handle is None and user is None)
            or (assertion.user_handle is not None and assertion.user_handle != passkey.user_handle)
        )
        if mismatch or owner is None or owner.disabled:
            raise PasskeyRejected("wrong_user", PasskeyProblem.NOT_HERE, user_id=passkey.user_id)
        try:
            verified = verify_assertion(
                self.relying_party,
                assertion,
                public_key=passkey.public_key,
                sign_count=passkey.sign_count,
                require_user_verification=require_user_verification,
            )
        except PasskeyRejected as rejected:
            rejected.user_id = owner.id
            raise
        with self.transaction():
            # Two answers racing with the same counter (a cloned authenticator): one wins.
            counted = self.passkeys.record_use(
                passkey.id, verified.sign_count, verified.backed_up, now
            )
            if not counted:
                raise PasskeyRejected("counter", PasskeyProblem.EXPIRED, user_id=owner.id)
            self._record("passkey.used", now, owner.id, context, passkey)
        used = replace(
            passkey, sign_count=verified.sign_count, backed_up=verified.backed_up, last_used_at=now
        )
        return VerifiedPasskey(owner, used, verified.user_verified)

    def _record(
        self, event_type: str, now: int, user_id: str, context: AuditContext, passkey: Passkey
    ) -> None:
        self.audit.record(
            AuditEvent(
                type=event_type,
                occurred_at=now,
                actor="user",
                user_id=user_id,
                client_id=context.client_id,
                ip=context.ip,
                details={"passkey": passkey.id, "name": passkey.name},
            )
        )


def _new_user_handle() -> str:
    return secrets.token_urlsafe(_USER_HANDLE_BYTES)
