"""Standard claims released per scope (OIDC Core §5.1, §5.4)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gatehouse.storage.records import User
from gatehouse.tokens import entra

SCOPE_CLAIMS: dict[str, tuple[str, ...]] = {
    "profile": ("name", "given_name", "family_name", "preferred_username", "updated_at"),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}


def user_claims(user: User, scopes: Iterable[str]) -> dict[str, Any]:
    """The claims about ``user`` that the granted ``scopes`` release; unset claims are left
    out rather than sent as null (OIDC Core §5.3.2)."""
    available: dict[str, Any] = {
        "name": user.name,
        "given_name": user.given_name,
        "family_name": user.family_name,
        "preferred_username": user.username,
        "updated_at": user.updated_at,
        "email": user.email,
        "email_verified": user.email_verified if user.email else None,
        "address": user.address,
        "phone_number": user.phone_number,
        "phone_number_verified": user.phone_number_verified if user.phone_number else None,
    }
    released: dict[str, Any] = {}
    for scope in scopes:
        for claim in SCOPE_CLAIMS.get(scope, ()):
            if available.get(claim) is not None:
                released[claim] = available[claim]
    return released


SUPPORTED_CLAIMS = sorted(
    {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid", "at_hash"}
    | {c for claims in SCOPE_CLAIMS.values() for c in claims}
    | set(entra.ID_TOKEN_CLAIMS)  # for the clients of the entra token profile
)
