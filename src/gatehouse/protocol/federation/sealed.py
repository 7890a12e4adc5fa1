"""What federation keeps between two requests that must stay secret at rest (a PKCE
verifier, the paused request's id, the upstream's ID token), sealed with the key-encryption
key (keys/encryption.py) for one purpose and bound to its row."""

from __future__ import annotations

import json
from typing import Any

from gatehouse.keys.encryption import KeyDecryptionError, KeyEncryptor

FEDERATION_ENCRYPTION = b"gatehouse federation v1"


def seal(encryptor: KeyEncryptor, value: dict[str, Any], *, bound_to: str) -> bytes:
    return encryptor.encrypt(json.dumps(value).encode("utf-8"), kid=bound_to)


def unseal(encryptor: KeyEncryptor, blob: bytes, *, bound_to: str) -> dict[str, Any] | None:
    """The sealed value, or None when it cannot be opened (another secret key)."""
    try:
        value = json.loads(encryptor.decrypt(blob, kid=bound_to))
    except KeyDecryptionError:
        return None
    return value if isinstance(value, dict) else None


def seal_secret(encryptor: KeyEncryptor, secret: str, *, alias: str) -> bytes:
    """An upstream's client secret, bound to its alias."""
    return encryptor.encrypt(secret.encode("utf-8"), kid=f"upstream:{alias}")


def open_secret(encryptor: KeyEncryptor, blob: bytes, *, alias: str) -> str:
    """KeyDecryptionError when the secret key is not the one it was sealed with."""
    return encryptor.decrypt(blob, kid=f"upstream:{alias}").decode("utf-8")
