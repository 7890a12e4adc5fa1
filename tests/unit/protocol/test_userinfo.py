"""protocol.userinfo: claims by granted scope for a live UserInfo token (OIDC Core §5.3)."""

from __future__ import annotations

import pytest

from gatehouse.errors import InsufficientScope, InvalidToken
from gatehouse.protocol.issuance import UserGrant, issue_user_tokens, new_grant_id
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.userinfo import userinfo
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from tests.support.factories import ORDERS_API, make_api
from tests.unit.protocol.conftest import Registered, issue, register


@pytest.mark.parametrize(
    ("scopes", "claims"),
    [
        (("openid",), {"sub"}),
        (("openid", "profile"), {"sub", "name", "preferred_username", "updated_at"}),
        (("openid", "email"), {"sub", "email", "email_verified"}),
        (
            ("openid", "profile", "email"),
            {"sub", "name", "preferred_username", "updated_at", "email", "email_verified"},
        ),
    ],
)
def test_claims_by_scope(
    provider: Provider, web: Registered, alice: User, scopes: tuple[str, ...], claims: set[str]
) -> None:
    token = issue(provider, web.client, alice, scopes).access_token
    answer = userinfo(provider, token)
    assert answer["sub"] == alice.id
    assert set(answer) == claims


def test_without_openid_it_is_insufficient_scope(
    provider: Provider, web: Registered, alice: User
) -> None:
    token = issue(provider, web.client, alice, ("profile",)).access_token
    with pytest.raises(InsufficientScope, match="lacks the openid scope"):
        userinfo(provider, token)


def test_an_api_token_is_refused_with_what_to_send(
    runtime: Runtime, provider: Provider, alice: User
) -> None:
    make_api(runtime, ORDERS_API, scopes=("orders.read",), roles=())
    shop = register(runtime, "shop", scopes=["openid", "orders.read"])
    token = issue(
        provider, shop.client, alice, ("openid", f"{ORDERS_API}/orders.read")
    ).access_token
    endpoint = provider.config.userinfo_endpoint
    with pytest.raises(InvalidToken) as caught:
        userinfo(provider, token)
    assert caught.value.description == (
        f"the access token is not for this resource (aud must include {endpoint}; this one is "
        f"for {ORDERS_API}): ask the token endpoint for a UserInfo token by sending "
        f"resource={endpoint} with the authorization code or a refresh token"
    )
    # What it says to send works: the same grant, for UserInfo (resource at the token endpoint).
    grant = UserGrant(
        client=shop.client,
        user=alice,
        scopes=("openid", f"{ORDERS_API}/orders.read"),
        grant_id=new_grant_id(),
        auth_time=provider.clock(),
        sid=None,
        amr=("pwd",),
        acr=None,
    )
    own = issue_user_tokens(provider, grant, resource=(endpoint,))
    assert userinfo(provider, own.access_token)["sub"] == alice.id


def test_a_dead_token_is_refused(
    runtime: Runtime, provider: Provider, web: Registered, alice: User
) -> None:
    from gatehouse.admin.users import set_disabled

    token = issue(provider, web.client, alice, ("openid",)).access_token
    set_disabled(runtime, "alice", True)
    with pytest.raises(InvalidToken, match="disabled or deleted"):
        userinfo(provider, token)
