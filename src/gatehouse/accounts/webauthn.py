"""The one door to the WebAuthn library (py_webauthn, Duo Labs): options for the browser,
and verification of what it sends back, with gatehouse's choices pinned. Nothing else
imports ``webauthn``.

Pinned here:
- COSE algorithms ES256, EdDSA and RS256 (WebAuthn §5.8.2: the RP lists what it accepts;
  RS256 for Windows Hello), at registration and so for every stored key;
- attestation "none": gatehouse accepts any authenticator, so an attestation statement
  would only cost the person privacy (WebAuthn §14.4.1);
- resident key "required" and user verification "required": a passkey is discoverable (it
  signs in without a username) and proves two factors by itself (the device, and the PIN or
  biometric that unlocks it), which is what lets it replace a password (WebAuthn §6.2.3,
  §7.1 step 15, §7.2 step 17);
- the expected RP ID (the issuer's host) and origin (the issuer's), never the browser's word;
- no cross-origin ceremony (gatehouse's pages cannot be framed; §7.2 step 12).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    options_to_json,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.cose import COSEAlgorithmIdentifier
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticationCredential,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from gatehouse.errors import InvalidRequest

ALGORITHMS = [
    COSEAlgorithmIdentifier.ECDSA_SHA_256,
    COSEAlgorithmIdentifier.EDDSA,
    COSEAlgorithmIdentifier.RSASSA_PKCS1_v1_5_SHA_256,
]
# How long the browser may wait for the person (a hint; WebAuthn §15.1 recommends 5 to 10
# minutes). The challenge lives as long (accounts/passkeys.py).
TIMEOUT_SECONDS = 300
DEFAULT_PORTS = {"https": 443, "http": 80}
# What a malformed response makes the library (or what it calls: base64, CBOR, JSON,
# cryptography's key loading) raise; caught only around its calls, to refuse the input.
_MALFORMED = (WebAuthnException, ValueError, TypeError, KeyError, IndexError, OverflowError)

UserVerification = Literal["required", "preferred", "discouraged"]


class PasskeyProblem(enum.Enum):
    """What a person is told about a refused passkey: the pages word it in their language
    (web/passkeys.py); the value is the error_description developers see, in English."""

    EXPIRED = "this passkey request has expired or was already used; try again"
    NOT_HERE = (
        "this passkey is not registered here (it may have been removed); sign in with your "
        "password, or use another passkey"
    )
    UNVERIFIED = "this passkey could not be verified; try again, or sign in with your password"
    MALFORMED = "the browser's passkey response is malformed; reload the page and try again"
    ALREADY_REGISTERED = "this passkey is already registered to an account"


class PasskeyRejected(InvalidRequest):
    """A passkey response gatehouse refuses. ``reason`` is a short code for the audit log,
    ``user_id`` the account it concerned once known; ``problem`` is what the person is told
    (and, in English, the description), and ``detail`` (the library's words) goes to the
    log only."""

    def __init__(
        self,
        reason: str,
        problem: PasskeyProblem,
        *,
        detail: str | None = None,
        user_id: str | None = None,
    ) -> None:
        super().__init__(problem.value, detail=detail)
        self.reason = reason
        self.problem = problem
        self.user_id = user_id


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys are for: the RP ID is the issuer's host, the origin the issuer's
    (WebAuthn §5.1.3: the browser lets a page use only its own host, or a parent domain of it,
    as RP ID). A passkey works only where its RP ID does, so changing the issuer's host
    orphans every passkey registered before."""

    id: str
    origin: str
    name: str

    @classmethod
    def for_issuer(cls, issuer: str) -> RelyingParty:
        parts = urlsplit(issuer)
        host = parts.hostname or ""
        port = parts.port
        shown = f"[{host}]" if ":" in host else host
        origin = f"{parts.scheme}://{shown}"
        if port is not None and port != DEFAULT_PORTS.get(parts.scheme):
            origin += f":{port}"
        return cls(id=host, origin=origin, name=host or "gatehouse")


def _as_json(options: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(options_to_json(options))
    return loaded


def _descriptors(credentials: Sequence[tuple[str, Sequence[str]]]) -> list[Any]:
    known = {t.value for t in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(credential_id),
            transports=[AuthenticatorTransport(t) for t in transports if t in known],
        )
        for credential_id, transports in credentials
    ]


def creation_options(
    rp: RelyingParty,
    *,
    challenge: bytes,
    user_handle: str,
    user_name: str,
    display_name: str,
    exclude: Sequence[tuple[str, Sequence[str]]],
) -> dict[str, Any]:
    """PublicKeyCredentialCreationOptions as JSON (WebAuthn §5.4), for a discoverable,
    user-verifying credential; ``exclude`` (credential id, transports) are the person's
    passkeys, which an authenticator must not duplicate."""
    return _as_json(
        generate_registration_options(
            rp_id=rp.id,
            rp_name=rp.name,
            user_id=base64url_to_bytes(user_handle),
            user_name=user_name,
            user_display_name=display_name,
            challenge=challenge,
            timeout=TIMEOUT_SECONDS * 1000,
            attestation=AttestationConveyancePreference.NONE,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=_descriptors(exclude),
            supported_pub_key_algs=ALGORITHMS,
        )
    )


def request_options(
    rp: RelyingParty,
    *,
    challenge: bytes,
    allow: Sequence[tuple[str, Sequence[str]]] = (),
    user_verification: UserVerification = "required",
) -> dict[str, Any]:
    """PublicKeyCredentialRequestOptions as JSON (WebAuthn §5.5). No ``allow``: any
    discoverable credential of this RP (passwordless); else one of those (a second factor)."""
    return _as_json(
        generate_authentication_options(
            rp_id=rp.id,
            challenge=challenge,
            timeout=TIMEOUT_SECONDS * 1000,
            allow_credentials=_descriptors(allow),
            user_verification=UserVerificationRequirement(user_verification),
        )
    )


# -- What the browser sends back --------------------------------------------------------------


@dataclass(frozen=True)
class Registration:
    """A parsed, not yet verified, response to navigator.credentials.create()."""

    challenge: bytes
    credential: RegistrationCredential


@dataclass(frozen=True)
class Assertion:
    """A parsed, not yet verified, response to navigator.credentials.get()."""

    challenge: bytes
    credential_id: str
    user_handle: str | None  # base64url; a discoverable credential always returns it
    credential: AuthenticationCredential


def _challenge(client_data_json: bytes) -> bytes:
    client_data = parse_client_data_json(client_data_json)
    if client_data.cross_origin:
        raise PasskeyRejected(
            "cross_origin", PasskeyProblem.UNVERIFIED, detail="a cross-origin ceremony"
        )
    return client_data.challenge


def parse_registration(response: Mapping[str, Any]) -> Registration:
    """The browser's PublicKeyCredential JSON (WebAuthn §5.1, toJSON()) of a registration."""
    try:
        credential = parse_registration_credential_json(dict(response))
        return Registration(_challenge(credential.response.client_data_json), credential)
    except _MALFORMED as exc:
        raise PasskeyRejected("malformed", PasskeyProblem.MALFORMED, detail=str(exc)) from None


def parse_assertion(response: Mapping[str, Any]) -> Assertion:
    """The browser's PublicKeyCredential JSON (WebAuthn §5.1, toJSON()) of an assertion."""
    try:
        credential = parse_authentication_credential_json(dict(response))
        handle = credential.response.user_handle
        return Assertion(
            challenge=_challenge(credential.response.client_data_json),
            credential_id=bytes_to_base64url(credential.raw_id),
            user_handle=None if handle is None else bytes_to_base64url(handle),
            credential=credential,
        )
    except _MALFORMED as exc:
        raise PasskeyRejected("malformed", PasskeyProblem.MALFORMED, detail=str(exc)) from None


@dataclass(frozen=True)
class VerifiedCredential:
    """A new credential, verified (WebAuthn §7.1)."""

    credential_id: str  # base64url
    public_key: bytes
    sign_count: int
    aaguid: str
    transports: tuple[str, ...]
    backup_eligible: bool
    backed_up: bool


def verify_registration(rp: RelyingParty, registration: Registration) -> VerifiedCredential:
    """WebAuthn §7.1 steps 7 to 27 with the challenge that was issued (and is now spent)."""
    try:
        verified = verify_registration_response(
            credential=registration.credential,
            expected_challenge=registration.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
            supported_pub_key_algs=ALGORITHMS,
        )
    except _MALFORMED as exc:
        raise PasskeyRejected("verification", PasskeyProblem.UNVERIFIED, detail=str(exc)) from None
    transports = registration.credential.response.transports or []
    return VerifiedCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        transports=tuple(sorted({t.value for t in transports})),
        backup_eligible=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
    )


@dataclass(frozen=True)
class VerifiedAssertion:
    sign_count: int
    backed_up: bool
    user_verified: bool


def verify_assertion(
    rp: RelyingParty,
    assertion: Assertion,
    *,
    public_key: bytes,
    sign_count: int,
    require_user_verification: bool,
) -> VerifiedAssertion:
    """WebAuthn §7.2 steps 11 to 22 against the stored key and counter: the challenge, origin,
    RP ID hash, presence (and verification) flags, counter and signature."""
    try:
        verified = verify_authentication_response(
            credential=assertion.credential,
            expected_challenge=assertion.challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=public_key,
            credential_current_sign_count=sign_count,
            require_user_verification=require_user_verification,
        )
    except _MALFORMED as exc:
        raise PasskeyRejected("verification", PasskeyProblem.UNVERIFIED, detail=str(exc)) from None
    return VerifiedAssertion(
        sign_count=verified.new_sign_count,
        backed_up=verified.credential_backed_up,
        user_verified=verified.user_verified,
    )
