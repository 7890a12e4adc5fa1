"""Private signing keys are encrypted at rest with AES-256-GCM under a key derived (HKDF) from
the configured ``secret_key``."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"gatehouse signing-key encryption v1"


class KeyDecryptionError(Exception):
    """The stored key cannot be decrypted: the secret key differs from the one that wrote it."""


class KeyEncryptor:
    """AES-256-GCM under a key derived from ``secret_key`` for one ``purpose`` (the HKDF
    info): data of one purpose cannot be decrypted as another's."""

    def __init__(self, secret_key: str, purpose: bytes = _INFO) -> None:
        if len(secret_key) < 32:
            raise ValueError("secret_key must be at least 32 characters of random data")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
            secret_key.encode("utf-8")
        )
        self._aead = AESGCM(derived)

    def encrypt(self, plaintext: bytes, *, kid: str) -> bytes:
        nonce = os.urandom(12)
        # The kid is bound as associated data, so a ciphertext cannot be moved to another row.
        return nonce + self._aead.encrypt(nonce, plaintext, kid.encode("utf-8"))

    def decrypt(self, blob: bytes, *, kid: str) -> bytes:
        try:
            return self._aead.decrypt(blob[:12], blob[12:], kid.encode("utf-8"))
        except InvalidTag as exc:
            raise KeyDecryptionError(
                f"signing key {kid} cannot be decrypted: GATEHOUSE_SECRET_KEY is not the key "
                "it was stored with"
            ) from exc
