"""protocol.grants.token_exchange and exchange_subject: on-behalf-of (RFC 8693) against real
storage: the actor chain, the consents that count, downscoping, and the subject token's
rules. The HTTP tests (tests/http/test_token_exchange.py) cover every refusal on the wire."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gatehouse.admin import token_exchange as exchange_admin
from gatehouse.admin.apis import ApiSpec, save_api
from gatehouse.admin.users import set_password
from gatehouse.errors import InvalidGrant, InvalidRequest, OAuthError, UnauthorizedClient
from gatehouse.protocol.audiences import Audience
from gatehouse.protocol.grants.exchange_subject import (
    ACCESS_TOKEN_TYPE,
    ExchangeSubject,
    subject_from,
)
from gatehouse.protocol.grants.token_exchange import GRANT_TYPE, TokenExchangeGrant
from gatehouse.protocol.issuance import mint_for_audience
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from gatehouse.tokens.access_token import validate_access_token
from tests.support.factories import ORDERS_API, make_api
from tests.support.flow import FakeClock
from tests.unit.protocol.conftest import Registered, params, register

INVENTORY_API = "https://inventory.example.com"
GRANT = TokenExchangeGrant()


@pytest.fixture
def orders_api(runtime: Runtime, alice: User) -> Registered:
    """The orders API's client, linked to the orders API and allowed to exchange for the
    inventory API; alice consented to inventory.read at the shop."""
    registered = register(
        runtime, "orders-api", grant_types=[GRANT_TYPE], redirect_uris=[], scopes=[]
    )
    register(runtime, "shop")  # where alice signed in: the client of her token
    make_api(runtime, ORDERS_API, client_id="orders-api")
    make_api(runtime, INVENTORY_API, scopes=("inventory.read", "inventory.write"), roles=())
    exchange_admin.grant_token_exchange(runtime, "orders-api", INVENTORY_API)
    runtime.store.consents.grant(
        alice.id, "shop", frozenset({f"{INVENTORY_API}/inventory.read"}), 0
    )
    return registered


def user_token(provider: Provider, user: User, **claims: Any) -> str:
    """What the shop's sign-in gave alice: a token for the orders API."""
    api = provider.apis.get(ORDERS_API)
    shop = provider.clients.get("shop")
    assert shop is not None
    return mint_for_audience(
        provider,
        Audience(ORDERS_API, ("orders.read",), api),
        subject=user.id,
        client=shop,
        now=provider.clock(),
        auth_time=claims.pop("auth_time", provider.clock()),
        extra_claims=claims,
    ).value


def exchange(provider: Provider, client: Registered, token: str, **extra: str) -> Any:
    values = {"subject_token_type": ACCESS_TOKEN_TYPE, "resource": INVENTORY_API, **extra}
    request = params(subject_token=token, **values)
    return GRANT.handle(provider, client.client, request)


def claims_of(provider: Provider, token: str) -> dict[str, Any]:
    ring = provider.keys.keyring()
    return validate_access_token(
        token, ring, issuer=provider.config.issuer, audience=None, now=provider.clock()
    )


def test_the_subject_is_the_user_with_the_sign_in_it_carries(
    provider: Provider, orders_api: Registered, alice: User
) -> None:
    token = user_token(provider, alice, acr="urn:example:mfa", amr=["pwd", "otp"])
    subject = subject_from(
        provider,
        orders_api.client,
        params(subject_token=token, subject_token_type=ACCESS_TOKEN_TYPE),
    )
    assert subject == ExchangeSubject(
        user=alice,
        client_id="shop",
        audience=ORDERS_API,
        expires_at=claims_of(provider, token)["exp"],
        act=None,
        auth_time=provider.clock(),
        acr="urn:example:mfa",
        amr=("pwd", "otp"),
    )
    issued = claims_of(provider, exchange(provider, orders_api, token).access_token)
    assert (issued["acr"], issued["amr"]) == ("urn:example:mfa", ["pwd", "otp"])


@pytest.mark.parametrize(
    ("impersonation", "subject_act", "issued_act"),
    [
        (False, None, {"sub": "orders-api"}),
        (False, {"sub": "gateway"}, {"sub": "orders-api", "act": {"sub": "gateway"}}),
        (True, None, None),
        # Impersonation hides this actor, not the ones before it.
        (True, {"sub": "gateway"}, {"sub": "gateway"}),
    ],
    ids=["delegation", "nested", "impersonation", "impersonation-keeps-the-chain"],
)
def test_the_act_claim(
    runtime: Runtime,
    provider: Provider,
    orders_api: Registered,
    alice: User,
    impersonation: bool,
    subject_act: dict[str, Any] | None,
    issued_act: dict[str, Any] | None,
) -> None:
    exchange_admin.grant_token_exchange(
        runtime, "orders-api", INVENTORY_API, impersonation=impersonation
    )
    extra = {"act": subject_act} if subject_act else {}
    response = exchange(provider, orders_api, user_token(provider, alice, **extra))
    assert claims_of(provider, response.access_token).get("act") == issued_act


def test_the_calling_clients_own_consent_counts_too(
    runtime: Runtime, provider: Provider, orders_api: Registered, alice: User
) -> None:
    runtime.store.consents.grant(
        alice.id, "orders-api", frozenset({f"{INVENTORY_API}/inventory.write"}), 0
    )
    response = exchange(provider, orders_api, user_token(provider, alice))
    assert response.scope.split() == [
        f"{INVENTORY_API}/inventory.read",
        f"{INVENTORY_API}/inventory.write",
    ]


def test_a_scope_the_api_has_dropped_is_not_issued(
    runtime: Runtime, provider: Provider, orders_api: Registered, alice: User
) -> None:
    save_api(runtime, ApiSpec(INVENTORY_API, scopes=[("inventory.write", "Write")]), create=False)
    with pytest.raises(InvalidGrant, match="has not consented to any scope"):
        exchange(provider, orders_api, user_token(provider, alice))


def test_a_sign_in_older_than_the_password_is_refused(
    runtime: Runtime, provider: Provider, clock: FakeClock, orders_api: Registered, alice: User
) -> None:
    token = user_token(provider, alice, auth_time=clock.now - 3600)
    set_password(runtime, alice.id, "a whole new passphrase")
    with pytest.raises(InvalidRequest, match="password was changed after the sign-in"):
        exchange(provider, orders_api, token)


def test_a_public_client_may_not_exchange(
    provider: Provider, orders_api: Registered, alice: User
) -> None:
    public = Registered(replace(orders_api.client, client_type="public"), None)
    with pytest.raises(UnauthorizedClient, match="a public client cannot exchange tokens"):
        exchange(provider, public, user_token(provider, alice))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"subject_token_type": "urn:x"}, "subject_token_type 'urn:x' is not supported"),
        ({"actor_token_type": ACCESS_TOKEN_TYPE}, "actor_token is not supported"),
        ({"requested_token_type": "urn:x"}, "requested_token_type 'urn:x' is not supported"),
    ],
)
def test_requests_it_does_not_serve(
    provider: Provider,
    orders_api: Registered,
    alice: User,
    extra: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(OAuthError, match=message) as refused:
        exchange(provider, orders_api, user_token(provider, alice), **extra)
    assert refused.value.error == "invalid_request"


def test_an_on_behalf_of_token_for_an_entra_api(
    runtime: Runtime, provider: Provider, orders_api: Registered, alice: User
) -> None:
    """As Entra's on-behalf-of: the user stays oid, the middle-tier API is azp, a delegated
    token (scp, idtyp user) of the downstream API's scopes."""
    save_api(runtime, ApiSpec(identifier=INVENTORY_API, token_profile="entra"), create=False)
    claims = claims_of(
        provider, exchange(provider, orders_api, user_token(provider, alice)).access_token
    )
    assert (claims["oid"], claims["azp"], claims["scp"], claims["idtyp"]) == (
        alice.id,
        "orders-api",
        "inventory.read",
        "user",
    )
    assert claims["act"] == {"sub": "orders-api"} and claims["tid"] == "default"
