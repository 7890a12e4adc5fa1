"""protocol.liveness: the one rule for a live access token and for a live refresh token,
against real storage."""

from __future__ import annotations

from typing import Any

import pytest

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidGrant, InvalidToken
from gatehouse.keys.jose import sign_jwt
from gatehouse.protocol.liveness import (
    RefreshTokenReused,
    live_access_token,
    live_refresh_token,
    user_cannot_receive_tokens,
)
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.storage.records import User
from gatehouse.tokens.access_token import validate_access_token
from tests.support.factories import ORDERS_API, make_api
from tests.support.flow import FakeClock
from tests.unit.protocol.conftest import Registered, issue, register, start_sso


def claims_of(provider: Provider, token: str) -> dict[str, Any]:
    return validate_access_token(
        token,
        provider.keys.keyring(),
        issuer=provider.config.issuer,
        audience=None,
        now=provider.clock(),
    )


def resigned(provider: Provider, token: str, **changes: Any) -> str:
    claims = {**claims_of(provider, token), **changes}
    return sign_jwt(claims, provider.keys.keyring().signing_key("ES256"), typ="at+jwt")


# -- Access tokens -------------------------------------------------------------------------------


def test_a_users_token_is_live_with_its_user(
    provider: Provider, web: Registered, alice: User
) -> None:
    token = issue(provider, web.client, alice).access_token
    live = live_access_token(provider, token, audience=provider.config.userinfo_endpoint)
    assert live.user is not None and live.user.id == alice.id
    assert live.claims["client_id"] == "web"


def test_a_clients_own_token_is_live_while_the_client_exists(
    runtime: Runtime, provider: Provider
) -> None:
    from gatehouse.admin.clients import delete_client
    from tests.support.factories import grant_roles

    make_api(runtime, ORDERS_API)
    daemon = register(
        runtime, "daemon", grant_types=["client_credentials"], redirect_uris=[], scopes=[]
    )
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")
    from gatehouse.protocol.grants.client_credentials import ClientCredentialsGrant
    from tests.unit.protocol.conftest import params

    token = ClientCredentialsGrant().handle(provider, daemon.client, params(resource=ORDERS_API))
    live = live_access_token(provider, token.access_token, audience=ORDERS_API)
    assert live.user is None
    delete_client(runtime, "daemon")
    with pytest.raises(InvalidToken, match="client of this access token has been deleted"):
        live_access_token(provider, token.access_token, audience=None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"iat": 3600}, "issued in the future"),
        ({"nbf": 3600}, "not valid yet"),
        ({"exp": 0}, "has expired"),
        ({"iss": "https://elsewhere.example.com"}, "another issuer"),
        ({"aud": "https://elsewhere.example.com"}, "not for this resource"),
    ],
)
def test_an_access_token_outside_its_claims_is_not_live(
    provider: Provider, web: Registered, alice: User, change: dict[str, Any], message: str
) -> None:
    token = issue(provider, web.client, alice).access_token
    now = provider.clock()
    timed = {k: (now + v if k in ("iat", "nbf", "exp") else v) for k, v in change.items()}
    with pytest.raises(InvalidToken, match=message):
        live_access_token(
            provider, resigned(provider, token, **timed), audience=provider.config.userinfo_endpoint
        )


def test_a_denied_or_orphaned_access_token_is_not_live(
    runtime: Runtime, provider: Provider, web: Registered, alice: User
) -> None:
    from gatehouse.admin.users import set_disabled

    token = issue(provider, web.client, alice).access_token
    claims = claims_of(provider, token)
    provider.revocations.deny_access_token(claims["jti"], claims["exp"])
    with pytest.raises(InvalidToken, match="revoked"):
        live_access_token(provider, token, audience=None)
    other = issue(provider, web.client, alice).access_token
    set_disabled(runtime, "alice", True)
    with pytest.raises(InvalidToken, match="disabled or deleted"):
        live_access_token(provider, other, audience=None)


def test_a_token_signed_with_a_key_this_process_has_not_loaded_is_live(
    runtime: Runtime, provider: Provider, web: Registered, alice: User
) -> None:
    """Issue 11 item 9: a worker meeting a kid from its own issuer that it has not loaded
    reads the keys again before refusing the token."""
    from dataclasses import replace

    from gatehouse.keys.service import KeyService
    from gatehouse.storage.sql.keys import SqlKeyRepository
    from tests.unit.keys.test_service import _add_key_signing_now

    other_worker = KeyService(
        SqlKeyRepository(runtime.database, "default"), provider.keys.encryptor, clock=provider.clock
    )
    this_worker = replace(
        provider,
        keys=KeyService(
            SqlKeyRepository(runtime.database, "default"),
            provider.keys.encryptor,
            clock=provider.clock,
        ),
    )
    this_worker.keys.keyring()  # loaded before the other worker's new key exists
    _add_key_signing_now(
        other_worker, SqlKeyRepository(runtime.database, "default"), provider.clock()
    )
    signer = replace(provider, keys=other_worker)
    token = issue(signer, web.client, alice).access_token
    assert live_access_token(this_worker, token, audience=None).user is not None


# -- Refresh tokens ------------------------------------------------------------------------------


def state_of(provider: Provider, token: str | None) -> Any:
    assert token is not None
    return provider.refresh_tokens.get_state(sha256_digest(token))


def test_a_live_refresh_token(provider: Provider, web: Registered, alice: User) -> None:
    token = issue(provider, web.client, alice).refresh_token
    record, user = live_refresh_token(provider, web.client, state_of(provider, token))
    assert user.id == alice.id and record.client_id == "web"


@pytest.mark.parametrize(
    "change",
    ["unknown", "other client", "used", "revoked", "family", "idle", "absolute", "session"],
)
def test_each_reason_a_refresh_token_is_not_live(
    runtime: Runtime,
    provider: Provider,
    clock: FakeClock,
    web: Registered,
    alice: User,
    change: str,
) -> None:
    sid = start_sso(provider, alice)
    scopes = ("openid",) if change == "session" else ("openid", "offline_access")
    token = issue(provider, web.client, alice, scopes, sid=sid).refresh_token
    state = state_of(provider, token)
    client = web.client
    error: type[InvalidGrant] = InvalidGrant
    if change == "unknown":
        state = None
    elif change == "other client":
        client = register(runtime, "other").client
    elif change == "used":
        from dataclasses import replace

        successor = replace(state.token, token_hash=sha256_digest("successor"))
        assert provider.refresh_tokens.rotate(state.token.token_hash, successor, clock())
        state = provider.refresh_tokens.get_state(state.token.token_hash)
        error = RefreshTokenReused
    elif change in ("revoked", "family"):
        provider.revocations.revoke_grant(state.token.grant_id, "test", clock())
        state = provider.refresh_tokens.get_state(state.token.token_hash)
    elif change == "idle":
        clock.now = state.token.idle_expires_at
    elif change == "absolute":
        clock.now = state.token.expires_at
    else:
        clock.advance(provider.config.session_idle_lifetime + 1)
    with pytest.raises(error):
        live_refresh_token(provider, client, state)


def test_a_reused_refresh_token_names_itself_for_the_family_revocation(
    provider: Provider, web: Registered, alice: User
) -> None:
    from gatehouse.protocol.grants.refresh_token import RefreshTokenGrant
    from tests.unit.protocol.conftest import params

    token = issue(provider, web.client, alice).refresh_token
    assert token is not None
    RefreshTokenGrant().handle(provider, web.client, params(refresh_token=token))
    with pytest.raises(RefreshTokenReused) as caught:
        live_refresh_token(provider, web.client, state_of(provider, token))
    assert caught.value.token.token_hash == sha256_digest(token)
    assert caught.value.error == "invalid_grant"


@pytest.mark.parametrize(
    ("disabled", "password_changed_at", "auth_time", "reason"),
    [
        (False, None, 100, None),
        (True, None, 100, "the user is disabled"),
        (False, 100, 100, None),  # the same second still counts
        (False, 101, 100, "the user's password was changed after the sign-in"),
    ],
)
def test_user_cannot_receive_tokens(
    alice: User,
    disabled: bool,
    password_changed_at: int | None,
    auth_time: int,
    reason: str | None,
) -> None:
    from dataclasses import replace

    user = replace(alice, disabled=disabled, password_changed_at=password_changed_at)
    assert user_cannot_receive_tokens(user, auth_time) == reason
    assert user_cannot_receive_tokens(None, auth_time) == "the user was deleted"
