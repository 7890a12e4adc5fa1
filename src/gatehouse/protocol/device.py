"""The device authorization endpoint (RFC 8628 §3.1, §3.2), and the user codes people type.

A device that cannot show a browser (a TV, a CLI on a server) asks here for a device code,
which it keeps and polls the token endpoint with (grants/device_code.py), and a user code,
which it shows the person with the verification URI. The person enters the code at
``/device`` on a phone or laptop, signs in and answers (device_verification.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.errors import UnauthorizedClient
from gatehouse.protocol import audiences, scopes
from gatehouse.protocol.client_auth import authenticate_client
from gatehouse.protocol.messages import Parameters, split_scope
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client, DeviceAuthorization

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
VERIFICATION_PATH = "/device"
# RFC 8628 §6.1: twenty consonants, so no vowel spells a word and nothing looks like a
# digit (no O and 0, no I and 1); 20^8 codes, about 34 bits, within a short lifetime and
# the device page's brute-force protection (§5.1).
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
# What a person may type between the characters: the group dash, spaces.
_SEPARATORS = str.maketrans("", "", "- \t")
# A user code already held by an unpurged request is drawn again; five clashes in a row
# would mean the table is full of live codes, which the code space makes unreachable.
MAX_DRAWS = 5


def new_user_code() -> str:
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def grouped(code: str) -> str:
    """RFC 8628 §6.1: shown in two groups of four, easier to read out and type."""
    return f"{code[:4]}-{code[4:]}"


def normalized_user_code(typed: str | None) -> str | None:
    """The code a person typed, as stored: upper case, without dashes or spaces; None when
    it cannot be a user code at all (wrong length, a character outside the alphabet)."""
    if typed is None or len(typed) > 4 * USER_CODE_LENGTH:
        return None
    code = typed.translate(_SEPARATORS).upper()
    if len(code) != USER_CODE_LENGTH or any(ch not in USER_CODE_ALPHABET for ch in code):
        return None
    return code


def user_code_hash(code: str) -> str:
    return sha256_digest(code)


@dataclass(frozen=True)
class DeviceAuthorizationResponse:
    """RFC 8628 §3.2."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int

    def to_json(self) -> dict[str, Any]:
        return {
            "device_code": self.device_code,
            "user_code": self.user_code,
            "verification_uri": self.verification_uri,
            "verification_uri_complete": self.verification_uri_complete,
            "expires_in": self.expires_in,
            "interval": self.interval,
        }


def device_authorization(
    provider: Provider, params: Parameters, authorization: str | None, *, address: str | None
) -> DeviceAuthorizationResponse:
    """RFC 8628 §3.1: the client authenticates as at the token endpoint (a public client by
    its client_id), must be registered for the device grant, and asks for scopes (and RFC
    8707 resources) it may request; §3.2: the codes, the URIs and the polling interval."""
    client = authenticate_client(provider, params, authorization, address)
    if DEVICE_CODE_GRANT not in client.grant_types:
        raise UnauthorizedClient(
            f"this client is not allowed to use the device flow; an operator adds the grant "
            f"with `gatehouse client update {client.client_id[:60]} --grant-type "
            f"{DEVICE_CODE_GRANT}`"
        )
    resources, requested = _requested(provider, client, params)
    return _store(provider, client, requested, resources)


def _requested(
    provider: Provider, client: Client, params: Parameters
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """RFC 8707 §2 resources and RFC 6749 §3.3 scopes, checked as at /authorize."""
    resources = params.all("resource")
    named = split_scope(params.get("scope"))
    needs_apis = resources or any(s not in scopes.STANDARD_SCOPES for s in named)
    apis = provider.apis.list() if needs_apis else []
    if resources:
        resources = audiences.check_resources(
            resources, client, apis, provider.apis, provider.config.default_audience
        )
    return resources, scopes.resolve_requested(named, client.allowed_scopes, apis, resources)


def _store(
    provider: Provider, client: Client, requested: tuple[str, ...], resources: tuple[str, ...]
) -> DeviceAuthorizationResponse:
    config = provider.config
    now = provider.clock()
    device_code = random_token()
    for _ in range(MAX_DRAWS):
        user_code = new_user_code()
        stored = provider.device_authorizations.create(
            DeviceAuthorization(
                device_code_hash=sha256_digest(device_code),
                user_code_hash=user_code_hash(user_code),
                client_id=client.client_id,
                scopes=requested,
                resources=resources,
                created_at=now,
                expires_at=now + config.device_code_lifetime,
                poll_interval=config.device_poll_interval,
            )
        )
        if stored:
            break
    else:  # pragma: no cover - 20^8 codes; see MAX_DRAWS
        raise RuntimeError("no free user code after several draws")
    verification_uri = f"{config.issuer}{VERIFICATION_PATH}"
    return DeviceAuthorizationResponse(
        device_code=device_code,
        user_code=grouped(user_code),
        verification_uri=verification_uri,
        # §3.3.1: the code in the URI, for a QR code; the person still compares it.
        verification_uri_complete=f"{verification_uri}?user_code={grouped(user_code)}",
        expires_in=config.device_code_lifetime,
        interval=config.device_poll_interval,
    )
