"""A software WebAuthn authenticator for tests that run without a browser: it answers the
options gatehouse sends the way a browser and an authenticator together would (WebAuthn §6.1
authenticator data, §6.5 "none" attestation, §5.8.1 client data, ES256 or EdDSA signatures),
and can be told to lie: another origin or RP ID, a wrong signature, a stale counter.

The browser tests use Chromium's own virtual authenticator instead (DevTools WebAuthn domain).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from httpx2 import Response
from starlette.testclient import TestClient

from tests.support.flow import csrf_from

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes.fromhex("0123456789abcdef0123456789abcdef")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def from_b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@dataclass
class StoredCredential:
    credential_id: bytes
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    rp_id: str
    user_handle: bytes
    counter: int = 0


def _cose_key(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        raw = key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return cbor2.dumps({1: 1, 3: -8, -1: 6, -2: raw})
    numbers = key.public_key().public_numbers()
    return cbor2.dumps(
        {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    )


def _sign(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, data: bytes) -> bytes:
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    return key.sign(data, ec.ECDSA(hashes.SHA256()))


@dataclass
class SoftAuthenticator:
    """``origin`` is where the "browser" is; the RP ID is whatever the options say, unless a
    call overrides it. ``synced``: backup eligible and backed up (a synced passkey);
    ``counts``: keeps a signature counter (synced passkeys usually do not)."""

    origin: str
    synced: bool = False
    counts: bool = True
    verifies_user: bool = True
    eddsa: bool = False
    credentials: dict[bytes, StoredCredential] = field(default_factory=dict)

    def _flags(self, *extra: int) -> int:
        flags = UP | (UV if self.verifies_user else 0)
        if self.synced:
            flags |= BE | BS
        for bit in extra:
            flags |= bit
        return flags

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str, **extra: Any) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False, **extra}
        ).encode()

    def create(
        self, options: dict[str, Any], *, origin: str | None = None, rp_id: str | None = None
    ) -> dict[str, Any]:
        """navigator.credentials.create() with these creation options: the credential JSON."""
        rp = rp_id or options["rp"]["id"]
        key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey = (
            ed25519.Ed25519PrivateKey.generate()
            if self.eddsa
            else ec.generate_private_key(ec.SECP256R1())
        )
        credential_id = os.urandom(32)
        stored = StoredCredential(credential_id, key, rp, from_b64url(options["user"]["id"]))
        self.credentials[credential_id] = stored
        auth_data = (
            hashlib.sha256(rp.encode()).digest()
            + bytes([self._flags(AT)])
            + struct.pack(">I", 0)
            + AAGUID
            + struct.pack(">H", len(credential_id))
            + credential_id
            + _cose_key(key)
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data(
            "webauthn.create", options["challenge"], origin or self.origin
        )
        return {
            "id": b64url(credential_id),
            "rawId": b64url(credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal"],
            },
        }

    def get(
        self,
        options: dict[str, Any],
        credential_id: str | None = None,
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        forge: bool = False,
        counter: int | None = None,
    ) -> dict[str, Any]:
        """navigator.credentials.get() with these request options: the assertion JSON, by
        ``credential_id`` or the only credential held. ``forge`` signs with another key;
        ``counter`` states a counter instead of the next one."""
        stored = (
            self.credentials[from_b64url(credential_id)]
            if credential_id
            else next(iter(self.credentials.values()))
        )
        if counter is not None:
            stored.counter = counter
        elif self.counts:
            stored.counter += 1
        rp = rp_id or options.get("rpId") or stored.rp_id
        auth_data = (
            hashlib.sha256(rp.encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", stored.counter)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin or self.origin)
        signed = auth_data + hashlib.sha256(client_data).digest()
        key = ec.generate_private_key(ec.SECP256R1()) if forge else stored.key
        return {
            "id": b64url(stored.credential_id),
            "rawId": b64url(stored.credential_id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(_sign(key, signed)),
                "userHandle": b64url(stored.user_handle),
            },
        }


def post_json(http: TestClient, path: str, body: dict[str, Any]) -> Response:
    return http.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


def add_passkey(
    http: TestClient, authenticator: SoftAuthenticator, name: str = "Laptop"
) -> Response:
    """In a browser already signed in: add a passkey on /passkeys, as passkeys.js does."""
    csrf = csrf_from(http.get("/passkeys").text)
    options = post_json(http, "/passkeys/options", {"csrf_token": csrf, "name": name})
    assert options.status_code == 200, options.text
    credential = authenticator.create(options.json())
    return post_json(
        http, "/passkeys", {"csrf_token": csrf, "name": name, "credential": credential}
    )
