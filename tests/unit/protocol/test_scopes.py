"""protocol.scopes: what a client may request (RFC 6749 §3.3)."""

from __future__ import annotations

import pytest

from gatehouse.errors import InvalidScope
from gatehouse.protocol.scopes import STANDARD_SCOPES, check_allowed

ALLOWED = ("openid", "profile", "email", "orders.read")


def test_standard_scopes_are_the_openid_ones() -> None:
    assert set(STANDARD_SCOPES) == {
        "openid",
        "profile",
        "email",
        "address",
        "phone",
        "offline_access",
    }
    assert all(description.strip() for description in STANDARD_SCOPES.values())


@pytest.mark.parametrize(
    "requested",
    [("openid",), ("openid", "profile"), ("orders.read",), ALLOWED],
)
def test_allowed_scopes_pass_through_in_order(requested: tuple[str, ...]) -> None:
    assert check_allowed(requested, ALLOWED) == requested


@pytest.mark.parametrize(
    ("requested", "allowed", "message"),
    [
        ((), ALLOWED, "scope parameter is required"),
        (("openid", "offline_access"), ALLOWED, "may not request offline_access"),
        (("OpenID",), ALLOWED, "may not request OpenID"),  # case-sensitive
        (("orders.write",), ALLOWED, "may not request orders.write"),
        (("openid",), (), r"may request: \(nothing\)"),
    ],
)
def test_disallowed_scopes_are_rejected(
    requested: tuple[str, ...], allowed: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InvalidScope, match=message):
        check_allowed(requested, allowed)


def test_the_error_lists_every_disallowed_scope_and_what_is_allowed() -> None:
    with pytest.raises(InvalidScope) as caught:
        check_allowed(("openid", "a", "b"), ("openid",))
    assert caught.value.description == "this client may not request a b; it may request: openid"
