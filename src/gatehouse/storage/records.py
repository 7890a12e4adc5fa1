"""Plain, frozen records that cross the storage boundary. No behaviour beyond derived facts."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from gatehouse.storage.api_records import Api as Api
from gatehouse.storage.api_records import ApiPermission as ApiPermission
from gatehouse.storage.api_records import ExchangeGrant as ExchangeGrant
from gatehouse.storage.api_records import RoleGrant as RoleGrant
from gatehouse.storage.device_authorizations import DeviceApproval as DeviceApproval
from gatehouse.storage.device_authorizations import DeviceAuthorization as DeviceAuthorization
from gatehouse.storage.pushed_requests import PushedRequest as PushedRequest
from gatehouse.storage.sign_in_records import AuditEvent as AuditEvent
from gatehouse.storage.sign_in_records import AuditQuery as AuditQuery
from gatehouse.storage.sign_in_records import EmailToken as EmailToken
from gatehouse.storage.sign_in_records import EmailTokenPurpose as EmailTokenPurpose
from gatehouse.storage.sign_in_records import FailureCounter as FailureCounter
from gatehouse.storage.sign_in_records import OutgoingMail as OutgoingMail
from gatehouse.storage.sign_in_records import Passkey as Passkey
from gatehouse.storage.sign_in_records import PasskeyChallenge as PasskeyChallenge
from gatehouse.storage.sign_in_records import TotpAuthenticator as TotpAuthenticator

ClientType = Literal["confidential", "public"]
GroupsClaim = Literal["ids", "names"]
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
    # 0006: where the client is told of a sign-out (OIDC Back-Channel Logout 1.0 §2.2,
    # Front-Channel Logout 1.0 §2), and whether it needs the session id (sid) to act on it.
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = True
    frontchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool = True
    # Every sign-in to this client needs a second factor, whatever the tenant's policy.
    require_mfa: bool = False
    # 0016: RFC 9126 §6 require_pushed_authorization_requests, and RFC 9101 §10.5
    # request_object_signing_alg: the one algorithm its request objects are signed with.
    require_pushed_authorization_requests: bool = False
    request_object_signing_alg: str | None = None
    # 0018: the response types the client may ask the authorization endpoint for
    # (protocol/response_types.py), in canonical order.
    response_types: tuple[str, ...] = ("code",)
    # Every token request of this client must carry a DPoP proof (RFC 9449 §5.2).
    require_dpop: bool = False
    # 0020: the groups claim in its tokens (docs/groups-and-roles.md): "ids", "names" or off.
    groups_claim: GroupsClaim | None = None
    # 0022: "entra" adds Entra ID's oid, tid and ver to its ID tokens (tokens/entra.py).
    token_profile: str = "oidc"
    # 0025: people of other tenants may use it where it has a presence (protocol/multi_tenant.py).
    multi_tenant: bool = False

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


def normalized_login(value: str) -> str:
    """What usernames and emails are matched and kept unique by: case-insensitively."""
    return value.strip().casefold()


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
    # The person asked to stay signed in ("Remember me"): a persistent cookie, and the
    # longer lifetimes of the settings in force when the session started.
    remember_me: bool = False
    # Seconds without activity that end this session, fixed when it starts, so a later
    # change of the settings neither shortens nor extends live sessions. None for sessions
    # started before gatehouse recorded it: the idle lifetime of the settings applies.
    idle_lifetime: int | None = None
    # The browser's User-Agent, cut to MAX_DEVICE_LENGTH, for the person's list of sessions.
    device: str | None = None


@dataclass(frozen=True)
class SessionSelector:
    """Which live SSO sessions a sign-out ends — one browser's (``id_hash``, the digest of
    its cookie), the one an ID token names (``sid``; with ``user_id`` too, only if it is
    that user's), or every one of a user (``user_id``, but ``except_sid`` when given: the
    session the person acts in) — and which grants end with them: always those issued
    within the sessions (session-bound refresh tokens, codes not yet redeemed); with
    ``every_grant`` (a password change, a disabled account) every grant of the user,
    offline ones included."""

    id_hash: str | None = None
    sid: str | None = None
    user_id: str | None = None
    except_sid: str | None = None
    every_grant: bool = False

    def __post_init__(self) -> None:
        if self.id_hash is not None and (self.sid or self.user_id):
            raise ValueError("a session selector by id_hash names nothing else")
        if self.id_hash is None and self.sid is None and self.user_id is None:
            raise ValueError("a session selector names id_hash, sid or user_id")
        if self.except_sid is not None and (self.user_id is None or self.sid is not None):
            raise ValueError("except_sid goes with user_id alone")
        if self.every_grant and self.user_id is None:
            raise ValueError("every_grant needs user_id")


@dataclass(frozen=True)
class EndedSession:
    """An SSO session a sign-out has just ended: the clients that took part in it (were
    issued a code within it), and those of them a back-channel logout was queued for."""

    sid: str
    user_id: str
    client_ids: tuple[str, ...]
    backchannel_client_ids: tuple[str, ...]


@dataclass(frozen=True)
class LogoutDelivery:
    """A back-channel logout to send to one client (OIDC Back-Channel Logout 1.0 §2.5): queued
    when a session ends, claimed by one delivery worker at a time under a lease, then
    delivered, retried later, or abandoned."""

    id: str
    client_id: str
    user_id: str
    sid: str
    created_at: int
    attempts: int
    next_attempt_at: int
    lease_id: str | None = None
    lease_until: int | None = None
    delivered_at: int | None = None
    abandoned_at: int | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Consent:
    """The scopes a user granted a client, and the ones they left out on the consent page:
    those are not asked about again unless the client asks with prompt=consent."""

    user_id: str
    client_id: str
    scopes: frozenset[str]
    granted_at: int
    declined_scopes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Interaction:
    """A paused authorization request waiting for the person to log in or consent.

    While the person authenticates, ``user_id`` names who the factors verified so far
    identified (or, for a step-up, the signed-in person) and ``amr`` holds those factors
    (RFC 8176 values); ``factor_failures`` counts wrong second-factor answers in it."""

    id_hash: str
    client_id: str
    request: dict[str, Any]
    created_at: int
    expires_at: int
    login_completed_at: int | None
    consent_given: bool
    browser_hash: str | None = None
    # Once the person answered the consent page: the requested scopes this request gets.
    granted_scopes: tuple[str, ...] | None = None
    user_id: str | None = None
    amr: tuple[str, ...] = ()
    factor_failures: int = 0
    # What the person chose on the login page, kept until the sign-in finishes.
    remember_me: bool = False
    device: str | None = None


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
    # 0016: the claims request parameter (OIDC Core §5.5), as protocol/claims_request.py
    # normalises it.
    claims_request: dict[str, Any] | None = None


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
    # The token this one was rotated into (set when it is used), None before.
    successor_hash: str | None = None
    claims_request: dict[str, Any] | None = None  # 0016, as on the authorization code
    # RFC 9449 §5: a public client's token is bound to its DPoP key (the RFC 7638 thumbprint).
    dpop_jkt: str | None = None

    @property
    def offline(self) -> bool:
        return self.sid is None


@dataclass(frozen=True)
class OfflineGrant:
    """A live offline refresh token (offline_access: no SSO session) and when its grant (the
    token family it rotates within) was first issued."""

    token: RefreshToken
    first_issued_at: int


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
class StoredKey:
    """A signing key's public record; its private half is stored encrypted beside it."""

    kid: str
    alg: str
    public_jwk: dict[str, Any]
    created_at: int
    activates_at: int
    retired_at: int | None
    published_until: int | None
