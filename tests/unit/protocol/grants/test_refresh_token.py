"""protocol.grants.refresh_token: rotation, reuse detection, narrowing and each reason a
refresh token stops working (RFC 6749 §6, RFC 9700 §4.14), against real storage."""

from __future__ import annotations

import pytest

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidGrant, InvalidScope, InvalidTarget, OAuthError
from gatehouse.protocol.grants.refresh_token import RefreshTokenGrant
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from tests.conftest import ISSUER
from tests.support.factories import ORDERS_API, make_api
from tests.support.flow import FakeClock
from tests.unit.protocol.conftest import Registered, issue, params, register, start_sso

GRANT = RefreshTokenGrant()


def refresh(provider: Provider, client: Registered, token: str, **extra: str) -> TokenResponse:
    return GRANT.handle(provider, client.client, params(refresh_token=token, **extra))


def offline_token(provider: Provider, client: Registered, user: User) -> str:
    token = issue(provider, client.client, user).refresh_token
    assert token is not None
    return token


def test_each_use_rotates_and_a_rotated_token_shown_again_revokes_the_family(
    provider: Provider, clock: FakeClock, web: Registered, alice: User
) -> None:
    first = offline_token(provider, web, alice)
    second = refresh(provider, web, first).refresh_token
    assert second and second != first
    clock.advance(provider.config.refresh_token_retry_window)
    with pytest.raises(InvalidGrant, match="already used; as a precaution"):
        refresh(provider, web, first)
    # The successor belonged to the same family: it is revoked too.
    with pytest.raises(InvalidGrant, match="invalid, expired or revoked"):
        refresh(provider, web, second)


def test_a_retry_within_the_window_replaces_the_successor_the_client_lost(
    provider: Provider, clock: FakeClock, web: Registered, alice: User
) -> None:
    first = offline_token(provider, web, alice)
    lost = refresh(provider, web, first).refresh_token
    clock.advance(provider.config.refresh_token_retry_window - 1)
    kept = refresh(provider, web, first).refresh_token
    assert kept and lost and kept not in (first, lost)
    lost_record = provider.refresh_tokens.get(sha256_digest(lost))
    assert lost_record is not None and lost_record.used_at == clock.now
    assert lost_record.successor_hash is None  # showing it again is reuse, never a retry
    first_record = provider.refresh_tokens.get(sha256_digest(first))
    assert first_record is not None and first_record.successor_hash == sha256_digest(kept)
    assert refresh(provider, web, kept).refresh_token


def test_without_rotation_the_same_token_keeps_working(
    runtime: Runtime, provider: Provider, alice: User
) -> None:
    steady = register(runtime, "steady", refresh_token_rotation=False)
    token = offline_token(provider, steady, alice)
    for _ in range(3):
        response = refresh(provider, steady, token)
        assert response.refresh_token is None and response.access_token


@pytest.mark.parametrize(
    ("asked", "expected", "error"),
    [
        (None, "openid profile offline_access", None),
        ("openid", "openid", None),
        ("profile openid", "openid profile", None),  # the grant's order
        ("openid email", None, "does not cover email"),
        ("   ", None, "scope is empty"),
    ],
)
def test_scope_may_only_narrow(
    provider: Provider,
    web: Registered,
    alice: User,
    asked: str | None,
    expected: str | None,
    error: str | None,
) -> None:
    token = offline_token(provider, web, alice)
    extra = {"scope": asked} if asked is not None else {}
    if error is not None:
        with pytest.raises(InvalidScope, match=error):
            refresh(provider, web, token, **extra)
        return
    response = refresh(provider, web, token, **extra)
    assert response.scope == expected
    assert (response.id_token is not None) == ("openid" in response.scope.split())


def test_a_bare_api_scope_narrows_to_its_canonical_form(
    runtime: Runtime, provider: Provider, alice: User
) -> None:
    make_api(runtime, ORDERS_API, scopes=("orders.read", "orders.write"), roles=())
    shop = register(
        runtime, "shop", scopes=["openid", "offline_access", "orders.read", "orders.write"]
    )
    scopes = ("openid", "offline_access", f"{ORDERS_API}/orders.read", f"{ORDERS_API}/orders.write")
    token = issue(provider, shop.client, alice, scopes).refresh_token
    assert token is not None
    response = refresh(provider, shop, token, scope="orders.read")
    assert response.scope == f"{ORDERS_API}/orders.read"


def test_resource_chooses_the_audience_and_a_foreign_one_fails_before_spending(
    runtime: Runtime, provider: Provider, alice: User
) -> None:
    make_api(runtime, ORDERS_API, scopes=("orders.read",), roles=())
    shop = register(runtime, "shop", scopes=["openid", "offline_access", "orders.read"])
    token = issue(
        provider, shop.client, alice, ("openid", "offline_access", f"{ORDERS_API}/orders.read")
    ).refresh_token
    assert token is not None
    with pytest.raises(InvalidTarget, match="does not include"):
        refresh(provider, shop, token, resource="https://elsewhere.example.com")
    response = refresh(provider, shop, token, resource=f"{ISSUER}/userinfo")
    assert response.scope == "openid offline_access"


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ("unknown", InvalidGrant, "invalid, expired or revoked"),
        ("other client", InvalidGrant, "issued to another client"),
        ("revoked", InvalidGrant, "invalid, expired or revoked"),
        ("idle", InvalidGrant, "invalid, expired or revoked"),
        ("absolute", InvalidGrant, "invalid, expired or revoked"),
        ("session ended", InvalidGrant, "sign-in session of this refresh token has ended"),
        ("user disabled", InvalidGrant, "invalid, expired or revoked"),
    ],
)
def test_each_reason_a_refresh_token_stops_working(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    web: Registered,
    alice: User,
    change: str,
    error: type[OAuthError],
    message: str,
) -> None:
    sid = start_sso(provider, alice)
    session_bound = change == "session ended"
    scopes = ("openid", "profile") if session_bound else ("openid", "offline_access")
    token = issue(provider, web.client, alice, scopes, sid=sid).refresh_token
    assert token is not None
    record = provider.refresh_tokens.get(sha256_digest(token))
    assert record is not None
    client = web
    if change == "unknown":
        token = "no-such-token"
    elif change == "other client":
        client = register(runtime, "other")
    elif change == "revoked":
        provider.revocations.revoke_grant(record.grant_id, "test", clock())
    elif change == "idle":
        clock.now = record.idle_expires_at
    elif change == "absolute":
        clock.now = record.expires_at
    elif change == "session ended":
        clock.advance(provider.config.session_idle_lifetime + 1)
    else:
        from gatehouse.admin.users import set_disabled

        set_disabled(runtime, "alice", True)
    with pytest.raises(error, match=message):
        refresh(provider, client, token)
