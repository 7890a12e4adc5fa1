"""keys.encryption: private signing keys encrypted at rest (AES-256-GCM, kid bound)."""

from __future__ import annotations

import pytest

from gatehouse.keys.encryption import KeyDecryptionError, KeyEncryptor

SECRET = "s" * 32
PLAINTEXT = b"-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n"


def test_roundtrip() -> None:
    encryptor = KeyEncryptor(SECRET)
    blob = encryptor.encrypt(PLAINTEXT, kid="k1")
    assert PLAINTEXT not in blob
    assert encryptor.decrypt(blob, kid="k1") == PLAINTEXT
    # Another instance with the same secret (another process, a restart) reads it too.
    assert KeyEncryptor(SECRET).decrypt(blob, kid="k1") == PLAINTEXT


def test_each_encryption_uses_a_fresh_nonce() -> None:
    encryptor = KeyEncryptor(SECRET)
    first, second = (encryptor.encrypt(PLAINTEXT, kid="k1") for _ in range(2))
    assert first != second
    assert first[:12] != second[:12]


def test_wrong_secret_key_raises_key_decryption_error() -> None:
    blob = KeyEncryptor(SECRET).encrypt(PLAINTEXT, kid="k1")
    with pytest.raises(KeyDecryptionError, match="GATEHOUSE_SECRET_KEY"):
        KeyEncryptor("t" * 32).decrypt(blob, kid="k1")


def test_ciphertext_is_bound_to_its_kid() -> None:
    encryptor = KeyEncryptor(SECRET)
    blob = encryptor.encrypt(PLAINTEXT, kid="k1")
    with pytest.raises(KeyDecryptionError, match="k2"):
        encryptor.decrypt(blob, kid="k2")


@pytest.mark.parametrize("position", [0, 11, 12, -1])
def test_tampering_is_detected(position: int) -> None:
    encryptor = KeyEncryptor(SECRET)
    blob = bytearray(encryptor.encrypt(PLAINTEXT, kid="k1"))
    blob[position] ^= 0x01
    with pytest.raises(KeyDecryptionError):
        encryptor.decrypt(bytes(blob), kid="k1")


@pytest.mark.parametrize("secret", ["", "short", "x" * 31])
def test_secret_key_must_be_long(secret: str) -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        KeyEncryptor(secret)
