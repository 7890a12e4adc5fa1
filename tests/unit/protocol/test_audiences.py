"""protocol.audiences: API identifiers, canonical scope names, resources and the one
audience of a token (RFC 8707)."""

from __future__ import annotations

import pytest

from gatehouse.errors import InvalidTarget
from gatehouse.protocol.audiences import (
    apis_of,
    bare_name,
    canonical,
    check_resource_uri,
    client_may_use,
    select_audience,
    split_canonical,
)
from gatehouse.storage.records import Api, ApiPermission, Client

ORDERS = "https://orders.example.com"
V2 = "https://orders.example.com/v2"
SHOP = "https://shop.example.com/api/"
USERINFO = "https://id.example.com/userinfo"


def api(identifier: str, *names: str, client_id: str | None = None) -> Api:
    return Api(
        identifier=identifier,
        name=identifier,
        access_token_lifetime=None,
        signing_alg=None,
        client_id=client_id,
        scopes=tuple(ApiPermission(n, n) for n in names),
        roles=(),
    )


APIS = [api(ORDERS, "read", "write"), api(V2, "read"), api(SHOP, "cart")]


def client(*scopes: str) -> Client:
    return Client(
        client_id="c",
        name="c",
        client_type="confidential",
        auth_method="client_secret_basic",
        grant_types=("authorization_code",),
        redirect_uris=(),
        post_logout_redirect_uris=(),
        allowed_scopes=scopes,
        web_origins=(),
        first_party=False,
        id_token_signing_alg=None,
        created_at=0,
        updated_at=0,
    )


@pytest.mark.parametrize(
    ("identifier", "name", "expected"),
    [(ORDERS, "read", f"{ORDERS}/read"), (SHOP, "cart", "https://shop.example.com/api/cart")],
)
def test_canonical(identifier: str, name: str, expected: str) -> None:
    assert canonical(identifier, name) == expected
    assert bare_name(expected, api(identifier)) == name


@pytest.mark.parametrize(
    ("scope", "owner", "name"),
    [
        (f"{ORDERS}/read", ORDERS, "read"),
        (f"{V2}/read", V2, "read"),  # the longest identifier before the last slash
        ("https://shop.example.com/api/cart", SHOP, "cart"),
        ("read", None, None),
        (f"{ORDERS}/", None, None),
        ("https://elsewhere.example.com/read", None, None),
    ],
)
def test_split_canonical(scope: str, owner: str | None, name: str | None) -> None:
    split = split_canonical(scope, APIS)
    found = (split[0].identifier, split[1]) if split else (None, None)
    assert found == (owner, name)


@pytest.mark.parametrize(
    "resource", ["relative/path", "https://api.example.com/#frag", "://nothing"]
)
def test_a_resource_is_an_absolute_uri_without_a_fragment(resource: str) -> None:
    with pytest.raises(InvalidTarget, match="absolute URI without a fragment"):
        check_resource_uri(resource)


def test_apis_of_keeps_the_order_of_first_mention() -> None:
    scopes = ["openid", f"{SHOP}cart", f"{ORDERS}/read", f"{ORDERS}/write"]
    assert apis_of(scopes, APIS) == [SHOP, ORDERS]


@pytest.mark.parametrize(
    ("allowed", "roles", "own", "may"),
    [
        ((f"{ORDERS}/read",), frozenset(), False, True),
        (("openid",), frozenset({"export"}), False, True),
        (("openid",), frozenset(), True, True),
        ((f"{V2}/read",), frozenset(), False, False),  # the nested API is another API
    ],
)
def test_client_may_use(
    allowed: tuple[str, ...], roles: frozenset[str], own: bool, may: bool
) -> None:
    target = api(ORDERS, "read", client_id="c" if own else None)
    assert client_may_use(client(*allowed), target, roles) is may


@pytest.mark.parametrize(
    ("granted", "at_authorization", "requested", "audience", "scopes"),
    [
        (("openid", "profile"), (), (), USERINFO, ("openid", "profile")),
        (("openid", f"{ORDERS}/read"), (), (), ORDERS, ("read",)),
        (("openid", f"{ORDERS}/read"), (), (USERINFO,), USERINFO, ("openid",)),
        (("openid",), (ORDERS,), (), ORDERS, ()),
        (("openid", f"{ORDERS}/read", f"{V2}/read"), (), (V2,), V2, ("read",)),
        # A grant made before the API dropped a scope does not carry it into new tokens.
        (("openid", f"{ORDERS}/read", f"{ORDERS}/gone"), (), (), ORDERS, ("read",)),
    ],
)
def test_select_audience(
    granted: tuple[str, ...],
    at_authorization: tuple[str, ...],
    requested: tuple[str, ...],
    audience: str,
    scopes: tuple[str, ...],
) -> None:
    chosen = select_audience(granted, at_authorization, requested, APIS, USERINFO)
    assert (chosen.identifier, chosen.scopes) == (audience, scopes)
    assert (chosen.api is None) == (audience == USERINFO)


@pytest.mark.parametrize(
    ("granted", "requested", "message"),
    [
        ((f"{ORDERS}/read", f"{V2}/read"), (), "the grant covers several APIs"),
        ((f"{ORDERS}/read",), (V2,), "does not include the API"),
        ((f"{ORDERS}/read",), (ORDERS, USERINFO), "send one resource parameter"),
        ((f"{ORDERS}/read",), ("not a uri",), "absolute URI"),
    ],
)
def test_select_audience_refuses(
    granted: tuple[str, ...], requested: tuple[str, ...], message: str
) -> None:
    with pytest.raises(InvalidTarget, match=message):
        select_audience(granted, (), requested, APIS, USERINFO)
