"""The records of signing in and of what happens to a person: second factors (TOTP,
passkeys), brute-force counters, emailed links and the mail queue, and the audit log.
Re-exported by records.py, where every importer finds them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gatehouse.observability.audit import Actor, is_event_type


@dataclass(frozen=True)
class TotpAuthenticator:
    """A person's TOTP authenticator (RFC 6238); the secret is stored encrypted. It counts
    as a second factor only once ``confirmed_at`` is set (a first valid code)."""

    user_id: str
    secret_encrypted: bytes = field(repr=False)
    created_at: int
    confirmed_at: int | None
    last_used_step: int | None


MAX_AUDITED_LOGIN = 320  # an email address at most (RFC 5321 §4.5.3.1), the column's size


@dataclass(frozen=True)
class AuditEvent:
    """One entry of the audit log (observability/audit.py lists the types). ``id`` is given
    by the database when the event is recorded: increasing, in the order of recording."""

    type: str
    occurred_at: int
    actor: Actor
    user_id: str | None = None
    username: str | None = None  # the login a person typed (sign-in events)
    client_id: str | None = None
    ip: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None

    def __post_init__(self) -> None:
        if not is_event_type(self.type):
            raise ValueError(f"unknown audit event type {self.type!r}")
        if self.username is not None and len(self.username) > MAX_AUDITED_LOGIN:
            # A login typed at the sign-in page may be of any length; the log keeps what any
            # login gatehouse looks up can be (and its column holds): the first 320.
            object.__setattr__(self, "username", self.username[:MAX_AUDITED_LOGIN])


@dataclass(frozen=True)
class AuditQuery:
    """Which events to list: every given filter must hold. ``types`` match a whole type or
    a prefix ending at a dot ("signin" matches "signin.failed"). Newest first; ``before_id``
    pages back from an earlier answer's last id."""

    user_id: str | None = None
    client_id: str | None = None
    types: tuple[str, ...] = ()
    since: int | None = None
    until: int | None = None
    before_id: int | None = None
    limit: int = 100


@dataclass(frozen=True)
class Passkey:
    """A WebAuthn credential (passkey) a person registered. ``credential_id`` and
    ``user_handle`` are base64url; ``public_key`` is the COSE key the authenticator gave."""

    id: str  # gatehouse's own id, for the person's page
    user_id: str
    credential_id: str
    public_key: bytes = field(repr=False)
    sign_count: int
    transports: tuple[str, ...]
    aaguid: str
    backup_eligible: bool  # a synced (multi-device) passkey
    backed_up: bool
    user_handle: str  # random per person, never their id, name or email (WebAuthn §14.6.1)
    name: str
    created_at: int
    last_used_at: int | None = None


@dataclass(frozen=True)
class PasskeyChallenge:
    """A WebAuthn challenge, stored only as its SHA-256, bound to the browser (and to the
    person registering, or the paused sign-in) it was issued to; spent once."""

    challenge_hash: str
    ceremony: Literal["register", "authenticate"]
    browser_hash: str
    user_id: str | None  # registration and a second factor: whose
    interaction_hash: str | None  # a sign-in: which paused authorization request
    user_handle: str | None  # registration: the handle the authenticator was given
    created_at: int
    expires_at: int


@dataclass(frozen=True)
class FailureCounter:
    """Failed attempts at one factor (a password, a second factor, a client secret) against
    one ``subject`` (an account, a typed login, a client) from one ``source`` (an address
    or a known browser); ``""`` in either stands for all of them (accounts/throttle.py)."""

    factor: str
    subject: str
    source: str
    failures: int
    last_failed_at: int
    locked_until: int | None
    expires_at: int

    def locked_for(self, now: int) -> int:
        """Seconds its lock still lasts at ``now``; 0 when it is not locked."""
        return max(0, (self.locked_until or 0) - now)


# -- Self-service accounts (storage/selfservice.py) --------------------------------------------

EmailTokenPurpose = Literal["verify_email", "reset_password"]


@dataclass(frozen=True)
class EmailToken:
    """An emailed single-use link's token, by the SHA-256 of its random value. ``email`` is
    the address the link went to: confirming it confirms that address only."""

    token_hash: str
    purpose: EmailTokenPurpose
    user_id: str
    email: str
    created_at: int
    expires_at: int
    used_at: int | None = None


@dataclass(frozen=True)
class OutgoingMail:
    """A message waiting in the outgoing mail queue. Its recipient and content (which holds
    a live link) are encrypted at rest, and dropped once it is sent."""

    id: str
    content_encrypted: bytes | None = field(repr=False)
    created_at: int
    next_attempt_at: int
    attempts: int = 0
    lease_id: str | None = None
    lease_until: int | None = None
    sent_at: int | None = None
    failed_at: int | None = None
    last_error: str | None = None
