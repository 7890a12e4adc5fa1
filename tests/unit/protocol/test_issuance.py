"""protocol.issuance: the token response of a user grant (RFC 6749 §5.1, OIDC Core §3.1.3.3),
the grant a code or refresh token carries, and the refresh token's binding."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gatehouse.crypto import sha256_digest
from gatehouse.protocol.issuance import RotationLost, UserGrant, issue_user_tokens
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from gatehouse.tokens.access_token import validate_access_token
from tests.support.factories import INVOICES_API, ORDERS_API, make_api
from tests.unit.protocol.conftest import Registered, issue, register, start_sso, store_code


def test_to_json_leaves_out_what_was_not_issued() -> None:
    body = TokenResponse(access_token="a", expires_in=60, scope="openid").to_json()
    assert body == {
        "access_token": "a",
        "token_type": "Bearer",
        "expires_in": 60,
        "scope": "openid",
    }
    full = TokenResponse("a", 60, "openid", id_token="i", refresh_token="r").to_json()
    assert (full["id_token"], full["refresh_token"]) == ("i", "r")


def test_a_grant_from_a_code_and_from_a_refresh_token(
    provider: Provider, web: Registered, alice: User
) -> None:
    _, code = store_code(provider, web.client, alice, resources=(ORDERS_API,), sid="s1")
    from_code = UserGrant.of(web.client, alice, code)
    assert (from_code.grant_id, from_code.nonce, from_code.sid) == (code.grant_id, "n-0", "s1")
    assert from_code.resources == (ORDERS_API,) and from_code.scopes == code.scopes
    token = issue(provider, web.client, alice).refresh_token
    state = provider.refresh_tokens.get_state(sha256_digest(token or ""))
    assert state is not None
    from_refresh = UserGrant.of(web.client, alice, state.token)
    assert from_refresh.nonce is None and from_refresh.grant_id == state.token.grant_id


@pytest.mark.parametrize(
    ("scopes", "sid", "id_token", "refresh"),
    [
        (("openid",), None, True, False),  # no session, no offline_access: no refresh token
        (("openid",), "session", True, True),  # tied to the session
        (("openid", "offline_access"), None, True, True),
        (("profile", "offline_access"), None, False, True),  # no openid: no ID token
    ],
)
def test_which_tokens_are_issued(
    provider: Provider,
    web: Registered,
    alice: User,
    scopes: tuple[str, ...],
    sid: str | None,
    id_token: bool,
    refresh: bool,
) -> None:
    session = start_sso(provider, alice) if sid else None
    response = issue(provider, web.client, alice, scopes, sid=session)
    assert (response.id_token is not None) == id_token
    assert (response.refresh_token is not None) == refresh
    if response.refresh_token is not None:
        record = provider.refresh_tokens.get(sha256_digest(response.refresh_token))
        assert record is not None
        assert record.sid == (None if "offline_access" in scopes else session)


def test_a_client_without_the_refresh_grant_gets_no_refresh_token(
    runtime: Runtime, provider: Provider, alice: User
) -> None:
    once = register(runtime, "once", grant_types=["authorization_code"])
    assert issue(provider, once.client, alice).refresh_token is None


def test_the_scope_of_the_response_is_the_access_tokens(
    runtime: Runtime, provider: Provider, alice: User
) -> None:
    make_api(runtime, ORDERS_API, scopes=("orders.read",), roles=())
    make_api(runtime, INVOICES_API, scopes=("invoices.read",), roles=())
    shop = register(runtime, "shop", scopes=["openid", "orders.read", "invoices.read"])
    grant = ("openid", f"{ORDERS_API}/orders.read", f"{INVOICES_API}/invoices.read")
    base = UserGrant(shop.client, alice, grant, "g", provider.clock(), None, ("pwd",), None)
    response = issue_user_tokens(provider, base, resource=(INVOICES_API,))
    assert response.scope == f"openid {INVOICES_API}/invoices.read"
    claims = validate_access_token(
        response.access_token,
        provider.keys.keyring(),
        issuer=provider.config.issuer,
        audience=INVOICES_API,
        now=provider.clock(),
    )
    assert claims["scope"] == "invoices.read"


def test_an_api_sets_its_own_lifetime(runtime: Runtime, provider: Provider, alice: User) -> None:
    make_api(runtime, ORDERS_API, scopes=("orders.read",), roles=(), access_token_lifetime=600)
    shop = register(runtime, "shop", scopes=["openid", "orders.read"])
    response = issue(provider, shop.client, alice, ("openid", f"{ORDERS_API}/orders.read"))
    assert response.expires_in == 600


def test_a_lost_rotation_issues_nothing(provider: Provider, web: Registered, alice: User) -> None:
    first = issue(provider, web.client, alice)
    state = provider.refresh_tokens.get_state(sha256_digest(first.refresh_token or ""))
    assert state is not None
    grant = UserGrant.of(web.client, alice, state.token)
    issue_user_tokens(provider, grant, rotates=state.token.token_hash)
    with pytest.raises(RotationLost):
        issue_user_tokens(provider, replace(grant), rotates=state.token.token_hash)
