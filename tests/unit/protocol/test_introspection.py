"""protocol.introspection: who may see a token, and what an active answer holds
(RFC 7662 §2.2, §4), against real storage."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from gatehouse.errors import InvalidClient, InvalidRequest
from gatehouse.keys.keyring import PUBLICATION_LEAD_SECONDS
from gatehouse.keys.service import KeyService
from gatehouse.protocol.grants.client_credentials import ClientCredentialsGrant
from gatehouse.protocol.introspection import INACTIVE, introspect
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from gatehouse.storage.sql.keys import SqlKeyRepository
from tests.support.factories import ORDERS_API, grant_roles, make_api
from tests.support.flow import FakeClock
from tests.unit.protocol.conftest import Registered, issue, params, register


def ask(provider: Provider, caller: Registered, token: str, **extra: str) -> dict[str, object]:
    return introspect(provider, params(token=token, **extra), caller.basic)


def test_an_access_token_for_the_client_it_was_issued_to(
    provider: Provider, web: Registered, alice: User
) -> None:
    token = issue(provider, web.client, alice).access_token
    answer = ask(provider, web, token)
    assert answer["active"] is True and answer["token_type"] == "Bearer"
    assert answer["sub"] == alice.id and answer["client_id"] == "web"
    assert answer["scope"] == "openid profile offline_access"
    assert {"aud", "iss", "exp", "iat", "nbf", "jti", "auth_time"} <= answer.keys()


def test_a_refresh_token_for_its_client_only(
    runtime: Runtime, provider: Provider, web: Registered, alice: User
) -> None:
    token = issue(provider, web.client, alice).refresh_token
    assert token is not None
    answer = ask(provider, web, token, token_type_hint="refresh_token")
    assert answer["active"] is True and "token_type" not in answer
    assert answer["username"] == "alice"
    assert ask(provider, register(runtime, "other"), token) == INACTIVE


def test_an_api_sees_tokens_for_itself_and_nobody_elses(
    runtime: Runtime, provider: Provider, alice: User
) -> None:
    api_client = register(
        runtime, "orders-api", grant_types=["client_credentials"], redirect_uris=[], scopes=[]
    )
    make_api(runtime, ORDERS_API, client_id="orders-api")
    shop = register(runtime, "shop", scopes=["openid", "orders.read"])
    token = issue(
        provider, shop.client, alice, ("openid", f"{ORDERS_API}/orders.read")
    ).access_token
    assert ask(provider, api_client, token)["aud"] == ORDERS_API
    userinfo_token = issue(provider, shop.client, alice, ("openid",)).access_token
    assert ask(provider, api_client, userinfo_token) == INACTIVE


@pytest.mark.parametrize(
    "token", ["", "x", "a.b.c", "not-a-token", "A" * 43], ids=["empty", "x", "dots", "word", "b64"]
)
def test_unknown_values_are_inactive(provider: Provider, web: Registered, token: str) -> None:
    if not token:
        with pytest.raises(InvalidRequest, match="token parameter is required"):
            introspect(provider, params(), web.basic)
        return
    assert ask(provider, web, token) == INACTIVE


def test_a_public_client_may_not_introspect(runtime: Runtime, provider: Provider) -> None:
    register(runtime, "spa", client_type="public", redirect_uris=["http://127.0.0.1/cb"])
    with pytest.raises(InvalidClient, match="not public clients"):
        introspect(provider, params(token="x", client_id="spa"), None)


@pytest.mark.parametrize("delay", [0, 10, 60])
def test_a_token_just_issued_by_one_worker_is_active_at_another_after_a_rotation(
    runtime: Runtime, provider: Provider, clock: FakeClock, alice: User, delay: int
) -> None:
    """Issue 11 item 9: two workers (two key services over one database) that loaded their
    keys at different moments; `keys rotate` (also with --delay 0). At every second, a
    token one worker signs is active at the other's introspection."""
    make_api(runtime, ORDERS_API)
    daemon = register(
        runtime, "daemon", grant_types=["client_credentials"], redirect_uris=[], scopes=[]
    )
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")

    def worker() -> Provider:
        keys = KeyService(
            SqlKeyRepository(runtime.database, "default"), provider.keys.encryptor, clock=clock
        )
        return replace(provider, keys=keys)

    first, second = worker(), worker()
    first.keys.keyring()
    clock.advance(20)
    second.keys.keyring()
    clock.advance(5)
    (new,) = worker().keys.rotate(["ES256"], timedelta(seconds=delay), timedelta(hours=1))
    for _ in range(max(delay, PUBLICATION_LEAD_SECONDS) + 35):
        clock.advance(1)
        for signer, checker in ((first, second), (second, first)):
            token = ClientCredentialsGrant().handle(
                signer, daemon.client, params(resource=ORDERS_API)
            )
            assert ask(checker, daemon, token.access_token)["active"] is True, clock.now
    assert first.keys.keyring().signing_key("ES256").kid == new.kid
