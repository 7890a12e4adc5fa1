"""Plain, frozen records that cross the storage boundary. No behaviour beyond derived facts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from gatehouse.observability.audit import Actor, is_event_type

ClientType = Literal["confidential", "public"]
AuthMethod = Literal[
    "client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"
]


@dataclass(frozen=True)
class Client:
    client_id: str
    name: str
    client_type: ClientType
    auth_method: AuthMethod
    grant_types: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    allowed_scopes: tuple[str, ...]
    web_origins: tuple[str, ...]
    first_party: bool
    id_token_signing_alg: str | None
    created_at: int
    updated_at: int
    jwks: dict[str, Any] | None = None
    jwks_uri: str | None = None
    refresh_token_rotation: bool = True

    @property
    def is_public(self) -> bool:
        return self.client_type == "public"


@dataclass(frozen=True)
class ClientSecret:
    id: str
    client_id: str
    secret_hash: str
    created_at: int
    expires_at: int | None
    revoked_at: int | None

    def usable_at(self, now: int) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True)
class User:
    id: str
    username: str
    email: str | None
    email_verified: bool
    name: str | None
    given_name: str | None
    family_name: str | None
    phone_number: str | None
    phone_number_verified: bool
    address: dict[str, Any] | None
    disabled: bool
    password_hash: str | None = field(repr=False)
    password_changed_at: int | None
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class UserProfile:
    """The claims an administrator maintains about a user (OIDC Core §5.1), written as a
    whole: a field left None is cleared."""

    email: str | None
    email_verified: bool
    name: str | None
    given_name: str | None
    family_name: str | None
    phone_number: str | None
    phone_number_verified: bool
    address: dict[str, Any] | None

    @classmethod
    def of(cls, user: User) -> UserProfile:
        """The profile part of a stored user (every profile field is a User field too)."""
        return cls(**{f.name: getattr(user, f.name) for f in fields(cls)})

    def as_fields(self) -> dict[str, Any]:
        """The profile as User keyword arguments, for a new user."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Scope:
    name: str
    description: str


@dataclass(frozen=True)
class SsoSession:
    sid: str
    user_id: str
    auth_time: int
    amr: tuple[str, ...]
    acr: str | None
    created_at: int
    last_seen_at: int
    expires_at: int


@dataclass(frozen=True)
class Consent:
    user_id: str
    client_id: str
    scopes: frozenset[str]
    granted_at: int


@dataclass(frozen=True)
class Interaction:
    """A paused authorization request waiting for the person to log in or consent."""

    id_hash: str
    client_id: str
    request: dict[str, Any]
    created_at: int
    expires_at: int
    login_completed_at: int | None
    consent_given: bool
    browser_hash: str | None = None


@dataclass(frozen=True)
class AuthorizationCode:
    code_hash: str
    grant_id: str
    client_id: str
    user_id: str
    sid: str | None
    redirect_uri: str
    redirect_uri_given: bool
    scopes: tuple[str, ...]
    nonce: str | None
    code_challenge: str | None
    auth_time: int
    amr: tuple[str, ...]
    acr: str | None
    created_at: int
    expires_at: int
    used_at: int | None = None
    access_token_jti: str | None = None
    access_token_expires_at: int | None = None
    resources: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefreshToken:
    token_hash: str
    grant_id: str
    client_id: str
    user_id: str
    sid: str | None
    scopes: tuple[str, ...]
    auth_time: int
    amr: tuple[str, ...]
    acr: str | None
    created_at: int
    idle_expires_at: int
    expires_at: int
    used_at: int | None = None
    revoked_at: int | None = None
    resources: tuple[str, ...] = ()
    access_token_jti: str | None = None
    access_token_expires_at: int | None = None

    @property
    def offline(self) -> bool:
        return self.sid is None


@dataclass(frozen=True)
class AuthorizationCodeState:
    """An authorization code read together with what decides whether it may be redeemed."""

    code: AuthorizationCode
    user: User | None  # None when the user was deleted
    grant_revoked: bool  # revoked before redemption: password change, disabled user, consent


@dataclass(frozen=True)
class RefreshTokenState:
    """A refresh token read together with what decides whether it still works."""

    token: RefreshToken
    user: User | None  # None when the user was deleted
    family_revoked: bool  # its grant (token family) was revoked: replay, reuse, revocation


@dataclass(frozen=True)
class ApiPermission:
    name: str
    description: str


@dataclass(frozen=True)
class Api:
    """A protected resource (RFC 8707): its identifier is the `aud` of its access tokens."""

    identifier: str
    name: str
    access_token_lifetime: int | None
    signing_alg: str | None
    client_id: str | None
    scopes: tuple[ApiPermission, ...]
    roles: tuple[ApiPermission, ...]

    def scope_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.scopes)

    def role_names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.roles)


@dataclass(frozen=True)
class RoleGrant:
    """An application permission: ``role`` of the API ``api_identifier``, granted to a
    client (client_credentials tokens carry it in ``roles``)."""

    client_id: str
    api_identifier: str
    role: str


@dataclass(frozen=True)
class StoredKey:
    """A signing key's public record; its private half is stored encrypted beside it."""

    kid: str
    alg: str
    public_jwk: dict[str, Any]
    created_at: int
    activates_at: int
    retired_at: int | None
    published_until: int | None


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
    claimed_until: int | None = None
    sent_at: int | None = None
    failed_at: int | None = None
    last_error: str | None = None
