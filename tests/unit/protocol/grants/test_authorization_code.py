"""protocol.grants.authorization_code: each rule of a code redemption (RFC 6749 §4.1.3,
RFC 7636 §4.6, RFC 8707 §2.2), against real storage."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.errors import InvalidGrant, InvalidTarget, OAuthError
from gatehouse.protocol.grants.authorization_code import AuthorizationCodeGrant
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from tests.support.factories import ORDERS_API, REDIRECT_URI, make_api
from tests.support.flow import FakeClock
from tests.unit.protocol.conftest import VERIFIER, Registered, params, register, store_code

GRANT = AuthorizationCodeGrant()


def redeem(provider: Provider, client: Registered, code: str, **extra: str) -> Any:
    values = {"code": code, "redirect_uri": REDIRECT_URI, "code_verifier": VERIFIER, **extra}
    return GRANT.handle(provider, client.client, params(**values))


def test_a_code_is_redeemed_once_for_tokens(
    provider: Provider, web: Registered, alice: User
) -> None:
    code, record = store_code(provider, web.client, alice)
    response = redeem(provider, web, code)
    assert response.id_token and response.access_token
    assert response.scope == "openid profile"
    used = provider.codes.get(record.code_hash)
    assert used is not None and used.used_at is not None and used.access_token_jti


@pytest.mark.parametrize(
    ("fields", "extra", "error", "message"),
    [
        ({}, {"code_verifier": "x" * 43}, InvalidGrant, "code_verifier"),
        ({}, {"redirect_uri": "https://app.example.com/other"}, InvalidGrant, "does not match"),
        ({"expires_at": 0}, {}, InvalidGrant, "has expired"),
        # A sign-in older than the user's password (set when the account was made).
        ({"auth_time": 0}, {}, InvalidGrant, "password was changed after the sign-in"),
        ({}, {"resource": "https://unknown.example.com"}, InvalidTarget, "does not include"),
    ],
    ids=["pkce", "redirect-uri", "expired", "before-password", "resource"],
)
def test_each_rule_of_the_redemption(
    provider: Provider,
    web: Registered,
    alice: User,
    fields: dict[str, Any],
    extra: dict[str, str],
    error: type[OAuthError] | None,
    message: str | None,
) -> None:
    code, record = store_code(provider, web.client, alice, **fields)
    values = {"code": code, "redirect_uri": REDIRECT_URI, "code_verifier": VERIFIER, **extra}
    values = {k: v for k, v in values.items() if v}
    if error is None:
        assert GRANT.handle(provider, web.client, params(**values)).access_token
        return
    with pytest.raises(error, match=message):
        GRANT.handle(provider, web.client, params(**values))
    # A refused code is not spent.
    stored = provider.codes.get(record.code_hash)
    assert stored is not None and stored.used_at is None


@pytest.mark.parametrize(
    ("redirect_uri_given", "sent", "accepted"),
    [
        (True, REDIRECT_URI, True),
        (True, None, False),  # RFC 6749 §4.1.3: required when the request had it
        (False, None, True),
        (False, REDIRECT_URI, True),  # the registered one may still be sent
    ],
)
def test_redirect_uri_rule(
    provider: Provider,
    web: Registered,
    alice: User,
    redirect_uri_given: bool,
    sent: str | None,
    accepted: bool,
) -> None:
    code, _ = store_code(provider, web.client, alice, redirect_uri_given=redirect_uri_given)
    values = {"code": code, "code_verifier": VERIFIER}
    if sent is not None:
        values["redirect_uri"] = sent
    if accepted:
        assert GRANT.handle(provider, web.client, params(**values)).access_token
    else:
        with pytest.raises(InvalidGrant, match="redirect_uri is required"):
            GRANT.handle(provider, web.client, params(**values))


def test_an_unknown_code_and_another_clients_code(
    runtime: Runtime, provider: Provider, web: Registered, alice: User
) -> None:
    with pytest.raises(InvalidGrant, match="not valid"):
        redeem(provider, web, "no-such-code")
    other = register(runtime, "other")
    code, record = store_code(provider, other.client, alice)
    with pytest.raises(InvalidGrant, match="issued to another client"):
        redeem(provider, web, code)
    stored = provider.codes.get(record.code_hash)
    assert stored is not None and stored.used_at is None  # not burnt by the wrong client
    assert redeem(provider, other, code).access_token


def test_a_second_redemption_revokes_what_the_first_issued(
    provider: Provider, web: Registered, alice: User
) -> None:
    code, record = store_code(provider, web.client, alice)
    first = redeem(provider, web, code)
    with pytest.raises(InvalidGrant, match="already used"):
        redeem(provider, web, code)
    used = provider.codes.get(record.code_hash)
    assert used is not None and used.access_token_jti is not None
    assert provider.revocations.is_access_token_denied(used.access_token_jti)
    assert first.refresh_token is None or provider.refresh_tokens.get_state(first.refresh_token)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # Disabling the user and changing the password revoke the grant when they happen.
        ("disabled", "was revoked before it was redeemed"),
        ("password", "was revoked before it was redeemed"),
        ("grant revoked", "was revoked before it was redeemed"),
    ],
)
def test_a_code_whose_user_or_grant_changed_is_refused(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    web: Registered,
    alice: User,
    change: str,
    message: str,
) -> None:
    from gatehouse.admin.users import set_disabled, set_password

    code, record = store_code(provider, web.client, alice)
    clock.advance(5)
    if change == "disabled":
        set_disabled(runtime, "alice", True)
    elif change == "password":
        set_password(runtime, "alice", "another long passphrase")
    else:
        provider.revocations.revoke_grant(record.grant_id, "test", clock())
    with pytest.raises(InvalidGrant, match=message):
        redeem(provider, web, code)


def test_a_code_for_an_api_scope_gives_a_token_for_the_api(
    runtime: Runtime, provider: Provider, alice: User
) -> None:
    make_api(runtime, ORDERS_API, scopes=("orders.read",), roles=())
    shop = register(runtime, "shop", scopes=["openid", "orders.read"])
    code, _ = store_code(
        provider, shop.client, alice, scopes=("openid", f"{ORDERS_API}/orders.read")
    )
    response = redeem(provider, shop, code)
    assert response.scope == f"openid {ORDERS_API}/orders.read"
