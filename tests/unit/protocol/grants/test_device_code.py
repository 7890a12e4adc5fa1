"""protocol.grants.device_code: each answer to a polling device (RFC 8628 §3.5), in the
order they are decided, and the tokens an approval gives, against real storage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.errors import (
    AccessDenied,
    AuthorizationPending,
    ExpiredToken,
    InvalidGrant,
    OAuthError,
    SlowDown,
)
from gatehouse.protocol.device import DEVICE_CODE_GRANT
from gatehouse.protocol.grants.device_code import DeviceCodeGrant
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.token_response import TokenResponse
from gatehouse.runtime import Runtime
from gatehouse.storage.records import DeviceApproval, DeviceAuthorization, User
from tests.support.flow import FakeClock
from tests.support.tokens import token_claims
from tests.unit.protocol.conftest import Registered, params, register

GRANT = DeviceCodeGrant()


@pytest.fixture
def tv(runtime: Runtime) -> Registered:
    return register(
        runtime,
        "tv",
        client_type="public",
        grant_types=[DEVICE_CODE_GRANT, "refresh_token"],
        redirect_uris=[],
        scopes=["openid", "profile", "offline_access"],
    )


def store(
    provider: Provider, scopes: tuple[str, ...] = ("openid", "profile")
) -> tuple[str, DeviceAuthorization]:
    value, now = random_token(), provider.clock()
    request = DeviceAuthorization(
        device_code_hash=sha256_digest(value),
        user_code_hash=sha256_digest(random_token()),
        client_id="tv",
        scopes=scopes,
        resources=(),
        created_at=now,
        expires_at=now + 600,
        poll_interval=5,
    )
    assert provider.device_authorizations.create(request)
    return value, request


def approve(provider: Provider, request: DeviceAuthorization, user: User) -> None:
    approval = DeviceApproval(
        user.id, "grant-1", provider.clock(), ("pwd",), "urn:gatehouse:acr:password"
    )
    assert provider.device_authorizations.approve(
        request.device_code_hash, approval, provider.clock()
    )


def poll(provider: Provider, client: Registered, device_code: str) -> TokenResponse:
    return GRANT.handle(provider, client.client, params(device_code=device_code))


Setup = Callable[[Provider, DeviceAuthorization, User, FakeClock], None]


def _nothing(
    provider: Provider, request: DeviceAuthorization, user: User, clock: FakeClock
) -> None:
    return None


def _denied(provider: Provider, request: DeviceAuthorization, user: User, clock: FakeClock) -> None:
    provider.device_authorizations.deny(request.device_code_hash, user.id, clock())


def _expired(
    provider: Provider, request: DeviceAuthorization, user: User, clock: FakeClock
) -> None:
    approve(provider, request, user)
    clock.advance(600)


def _redeemed(
    provider: Provider, request: DeviceAuthorization, user: User, clock: FakeClock
) -> None:
    approve(provider, request, user)
    provider.device_authorizations.redeem(request.device_code_hash, clock())


def _disabled(
    provider: Provider, request: DeviceAuthorization, user: User, clock: FakeClock
) -> None:
    approve(provider, request, user)
    provider.users.set_disabled(user.id, True, clock())


@pytest.mark.parametrize(
    ("setup", "error", "fragment"),
    [
        (_nothing, AuthorizationPending, "poll again in 5 seconds"),
        (_denied, AccessDenied, "denied"),
        (_expired, ExpiredToken, "has expired"),
        (_redeemed, InvalidGrant, "already used"),
        (_disabled, InvalidGrant, "the user is disabled"),
    ],
)
def test_answers(
    provider: Provider,
    tv: Registered,
    alice: User,
    clock: FakeClock,
    setup: Setup,
    error: type[OAuthError],
    fragment: str,
) -> None:
    value, request = store(provider)
    setup(provider, request, alice, clock)
    with pytest.raises(error, match=fragment) as raised:
        poll(provider, tv, value)
    assert raised.value.status_code == 400


def test_slow_down_raises_the_interval_by_five_seconds_each_time(
    provider: Provider, tv: Registered, clock: FakeClock
) -> None:
    value, _request = store(provider)
    with pytest.raises(AuthorizationPending):
        poll(provider, tv, value)
    for interval in (10, 15):
        with pytest.raises(SlowDown, match=f"at least {interval} seconds"):
            poll(provider, tv, value)
    clock.advance(14)
    with pytest.raises(SlowDown, match="at least 20 seconds"):
        poll(provider, tv, value)
    clock.advance(20)
    with pytest.raises(AuthorizationPending, match="in 20 seconds"):
        poll(provider, tv, value)


class PolledMeanwhile:
    """The real repository, where another poll of the same device code lands between this
    poll's read and its write (two requests of one device at once)."""

    def __init__(self, provider: Provider) -> None:
        self.repository = provider.device_authorizations
        self.clock = provider.clock

    def __getattr__(self, name: str) -> Any:
        return getattr(self.repository, name)

    def by_device_code(self, device_code_hash: str) -> DeviceAuthorization | None:
        read = self.repository.by_device_code(device_code_hash)
        assert read is not None
        self.repository.record_poll(device_code_hash, read.last_polled_at, self.clock(), 5)
        return read


def test_a_poll_that_loses_a_race_is_slowed_down(provider: Provider, tv: Registered) -> None:
    value, _request = store(provider)
    provider.device_authorizations = PolledMeanwhile(provider)
    with pytest.raises(SlowDown):
        poll(provider, tv, value)


def test_an_approval_gives_the_code_flows_tokens_once(
    runtime: Runtime, provider: Provider, tv: Registered, alice: User
) -> None:
    value, request = store(provider, ("openid", "profile", "offline_access"))
    approve(provider, request, alice)
    response = poll(provider, tv, value)
    assert response.refresh_token and response.id_token
    access = token_claims(runtime, response.access_token)
    assert (access["sub"], access["client_id"]) == (alice.id, "tv")
    assert access["amr"] == ["pwd"] and access["acr"] == "urn:gatehouse:acr:password"
    assert access["auth_time"] == provider.clock()
    with pytest.raises(InvalidGrant, match="already used"):
        poll(provider, tv, value)


@pytest.mark.parametrize(
    ("device_code", "client_id", "fragment"),
    [("made-up", "tv", "not valid"), (None, "radio", "another client")],
)
def test_codes_that_are_not_this_clients(
    runtime: Runtime,
    provider: Provider,
    tv: Registered,
    device_code: str | None,
    client_id: str,
    fragment: str,
) -> None:
    radio = register(
        runtime, "radio", client_type="public", grant_types=[DEVICE_CODE_GRANT], redirect_uris=[]
    )
    value, _request = store(provider)
    client = tv if client_id == "tv" else radio
    with pytest.raises(InvalidGrant, match=fragment):
        poll(provider, client, device_code or value)
