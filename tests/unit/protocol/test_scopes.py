"""protocol.scopes: which scope a name means, and what a client may request and register
(RFC 6749 §3.3)."""

from __future__ import annotations

import pytest

from gatehouse.errors import InvalidScope
from gatehouse.protocol.scopes import (
    STANDARD_SCOPES,
    check_allowed,
    registrable,
    resolve_requested,
)
from gatehouse.storage.records import Api, ApiPermission

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


# -- Which scope a name means ------------------------------------------------------------------

ORDERS = "https://orders.example.com"
SHOP = "https://shop.example.com/api"
NESTED = "https://orders.example.com/v2"


def api(identifier: str, *names: str) -> Api:
    return Api(
        identifier=identifier,
        name=identifier,
        access_token_lifetime=None,
        signing_alg=None,
        client_id=None,
        scopes=tuple(ApiPermission(n, f"Allows {n}") for n in names),
        roles=(),
    )


# The README's orders API and examples/orders_api's, both defining orders.read (issue 11).
APIS = [api(ORDERS, "orders.read", "orders.write"), api(SHOP, "orders.read", "cart")]


@pytest.mark.parametrize(
    ("requested", "allowed", "resources", "expected"),
    [
        # A bare name means the API's scope the client is registered for, whatever other
        # APIs define the same name.
        (
            ("openid", "orders.read"),
            ("openid", f"{ORDERS}/orders.read"),
            (),
            f"{ORDERS}/orders.read",
        ),
        (("orders.read",), (f"{SHOP}/orders.read",), (), f"{SHOP}/orders.read"),
        (("cart",), (f"{SHOP}/cart",), (), f"{SHOP}/cart"),
        # The canonical name is taken as it is.
        ((f"{SHOP}/orders.read",), (f"{SHOP}/orders.read",), (), f"{SHOP}/orders.read"),
        # A client registered for both says which with resource.
        (
            ("orders.read",),
            (f"{ORDERS}/orders.read", f"{SHOP}/orders.read"),
            (SHOP,),
            f"{SHOP}/orders.read",
        ),
        # A custom scope of the same name as an API scope is the custom one when registered so.
        (("orders.read",), ("orders.read",), (), "orders.read"),
        # Standard scopes need no API.
        (("profile",), ("profile",), (), "profile"),
    ],
)
def test_resolve_requested(
    requested: tuple[str, ...], allowed: tuple[str, ...], resources: tuple[str, ...], expected: str
) -> None:
    assert resolve_requested(requested, allowed, APIS, resources)[-1] == expected


def test_resolve_requested_keeps_order_and_drops_repeats() -> None:
    allowed = ("openid", f"{ORDERS}/orders.read", f"{ORDERS}/orders.write")
    requested = ("orders.write", "openid", f"{ORDERS}/orders.write", "orders.read")
    assert resolve_requested(requested, allowed, APIS) == (
        f"{ORDERS}/orders.write",
        "openid",
        f"{ORDERS}/orders.read",
    )


@pytest.mark.parametrize(
    ("requested", "allowed", "resources", "message"),
    [
        # Registered for the name on two APIs, and no resource: the request must say which.
        (
            ("orders.read",),
            (f"{ORDERS}/orders.read", f"{SHOP}/orders.read"),
            (),
            f"several APIs this client may use; .* "
            f"\\({ORDERS}/orders.read or {SHOP}/orders.read\\)",
        ),
        # A name of one API the client is not registered for: refused by its full name.
        (("cart",), (f"{ORDERS}/orders.read",), (), f"may not request {SHOP}/cart;"),
        # A name of two APIs, registered for neither: refused as asked.
        (("orders.read",), ("openid",), (), "may not request orders.read;"),
        # resource names the other API than the registered one.
        (("orders.read",), (f"{ORDERS}/orders.read",), (SHOP,), f"may not request {SHOP}/"),
        # A registered canonical name whose API dropped it.
        (("orders.read",), (f"{SHOP}/gone",), (), "may not request"),
        ((f"{SHOP}/gone",), (f"{SHOP}/gone",), (), f"{SHOP} has no scope 'gone'"),
        (("unknown",), ("openid",), (), "may not request unknown;"),
        ((), ("openid",), (), "scope parameter is required"),
    ],
)
def test_resolve_requested_refuses(
    requested: tuple[str, ...], allowed: tuple[str, ...], resources: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InvalidScope, match=message):
        resolve_requested(requested, allowed, APIS, resources)


def test_a_nested_identifier_is_not_its_parents_scope() -> None:
    apis = [api(ORDERS, "read"), api(NESTED, "read")]
    assert resolve_requested((f"{NESTED}/read",), (f"{NESTED}/read",), apis) == (f"{NESTED}/read",)
    with pytest.raises(InvalidScope, match="may not request"):
        resolve_requested((f"{ORDERS}/read",), (f"{NESTED}/read",), apis)


# -- What a registration stores ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("scopes", "custom", "expected"),
    [
        (["openid", "offline_access"], (), ["openid", "offline_access"]),
        (["cart"], (), [f"{SHOP}/cart"]),  # one API defines it
        ([f"{ORDERS}/orders.read"], (), [f"{ORDERS}/orders.read"]),
        (["reports"], ("reports",), ["reports"]),  # a custom scope
        (["orders.read"], ("orders.read",), ["orders.read"]),  # custom wins: registered so
        (["cart", f"{SHOP}/cart", "openid"], (), [f"{SHOP}/cart", "openid"]),
    ],
)
def test_registrable(scopes: list[str], custom: tuple[str, ...], expected: list[str]) -> None:
    assert registrable(scopes, APIS, custom) == expected


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        (
            ["orders.read"],
            f"exists on several APIs; register the one this client is for by its full name: "
            f"{ORDERS}/orders.read or {SHOP}/orders.read",
        ),
        (["nothing"], "unknown scope 'nothing'"),
        ([f"{SHOP}/gone"], f"unknown scope '{SHOP}/gone'"),
    ],
)
def test_registrable_refuses(scopes: list[str], message: str) -> None:
    with pytest.raises(InvalidScope) as caught:
        registrable(scopes, APIS, ())
    assert message in caught.value.description
