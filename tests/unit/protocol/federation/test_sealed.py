"""protocol/federation/sealed.py: what federation keeps at rest opens only for its own row
and purpose, and only with the key it was sealed with."""

from __future__ import annotations

import pytest

from gatehouse.keys.encryption import KeyDecryptionError, KeyEncryptor
from gatehouse.protocol.federation.sealed import (
    FEDERATION_ENCRYPTION,
    open_secret,
    seal,
    seal_secret,
    unseal,
)

KEY = "k" * 40
SEALER = KeyEncryptor(KEY, FEDERATION_ENCRYPTION)


def test_a_sealed_value_opens_for_its_row() -> None:
    blob = seal(SEALER, {"verifier": "v" * 43, "nonce": "n"}, bound_to="state-1")
    assert unseal(SEALER, blob, bound_to="state-1") == {"verifier": "v" * 43, "nonce": "n"}
    assert b"verifier" not in blob  # encrypted, not encoded


@pytest.mark.parametrize(
    ("opener", "row"),
    [
        (SEALER, "state-2"),  # copied into another row
        (KeyEncryptor("o" * 40, FEDERATION_ENCRYPTION), "state-1"),  # another secret key
        (KeyEncryptor(KEY), "state-1"),  # the same key for another purpose (signing keys)
    ],
    ids=["other-row", "other-key", "other-purpose"],
)
def test_a_sealed_value_opens_nowhere_else(opener: KeyEncryptor, row: str) -> None:
    blob = seal(SEALER, {"verifier": "v"}, bound_to="state-1")
    assert unseal(opener, blob, bound_to=row) is None


def test_a_sealed_value_that_is_not_an_object_is_refused() -> None:
    blob = SEALER.encrypt(b'["not", "an", "object"]', kid="state-1")
    assert unseal(SEALER, blob, bound_to="state-1") is None


def test_an_upstream_secret_opens_only_under_its_alias() -> None:
    blob = seal_secret(SEALER, "s3cret", alias="corp")
    assert open_secret(SEALER, blob, alias="corp") == "s3cret"
    with pytest.raises(KeyDecryptionError):
        open_secret(SEALER, blob, alias="other")
