"""protocol.claims: standard claims released per scope (OIDC Core §5.4)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gatehouse.protocol.claims import SCOPE_CLAIMS, SUPPORTED_CLAIMS, user_claims
from gatehouse.storage.records import User

ADDRESS = {"street_address": "1 Main St", "locality": "Springfield", "country": "US"}

FULL = User(
    id="3f1c",
    username="alice",
    email="alice@example.com",
    email_verified=True,
    name="Alice Liddell",
    given_name="Alice",
    family_name="Liddell",
    phone_number="+1 555 0100",
    phone_number_verified=False,
    address=ADDRESS,
    disabled=False,
    password_hash="$argon2id$secret",
    password_changed_at=1,
    created_at=1_700_000_000,
    updated_at=1_700_000_500,
)

EMPTY = replace(
    FULL,
    email=None,
    email_verified=True,
    name=None,
    given_name=None,
    family_name=None,
    phone_number=None,
    phone_number_verified=True,
    address=None,
)


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        ((), {}),
        (("openid",), {}),
        (("offline_access",), {}),
        (("orders.read",), {}),
        (
            ("openid", "profile"),
            {
                "name": "Alice Liddell",
                "given_name": "Alice",
                "family_name": "Liddell",
                "preferred_username": "alice",
                "updated_at": 1_700_000_500,
            },
        ),
        (("email",), {"email": "alice@example.com", "email_verified": True}),
        (("address",), {"address": ADDRESS}),
        # False is a value and is released; only unset claims are left out.
        (("phone",), {"phone_number": "+1 555 0100", "phone_number_verified": False}),
    ],
)
def test_claims_released_per_scope(scopes: tuple[str, ...], expected: dict[str, Any]) -> None:
    assert user_claims(FULL, scopes) == expected


def test_every_standard_scope_together() -> None:
    claims = user_claims(FULL, ("openid", "profile", "email", "address", "phone"))
    assert set(claims) == {c for names in SCOPE_CLAIMS.values() for c in names}


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [
        # Unset claims are omitted rather than sent as null (OIDC Core §5.3.2) …
        (("profile",), {"preferred_username": "alice", "updated_at": 1_700_000_500}),
        # … and a verification flag without the value it verifies means nothing.
        (("email",), {}),
        (("phone",), {}),
        (("address",), {}),
    ],
)
def test_unset_claims_are_omitted(scopes: tuple[str, ...], expected: dict[str, Any]) -> None:
    assert user_claims(EMPTY, scopes) == expected


def test_no_claim_outside_the_scopes_leaks() -> None:
    assert "email" not in user_claims(FULL, ("profile",))
    assert "password_hash" not in str(user_claims(FULL, tuple(SCOPE_CLAIMS)))


def test_supported_claims_cover_scope_claims_and_id_token_claims() -> None:
    expected = {"sub", "iss", "aud", "exp", "iat", "nonce", "at_hash", "email", "name"}
    assert expected <= set(SUPPORTED_CLAIMS)
    assert sorted(SUPPORTED_CLAIMS) == SUPPORTED_CLAIMS
