"""Introspection mode (RFC 7662) against the test issuer's introspection endpoint."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gatehouse.rs import Introspection, InvalidToken, IssuerUnavailable, TokenValidator
from tests.rs.conftest import MakeValidator
from tests.rs.issuer import (
    API_CLIENT_ID,
    API_CLIENT_SECRET,
    NOW,
    FakeClock,
    IssuerState,
    SigningKey,
    claims_for,
)


@pytest.fixture
def introspecting(make_validator: MakeValidator) -> TokenValidator:
    return make_validator(
        introspection=Introspection(API_CLIENT_ID, API_CLIENT_SECRET, cache_ttl=30)
    )


def _active(issuer: IssuerState, key: SigningKey, **claims: Any) -> str:
    raw = key.sign(claims_for(issuer.url, **claims))
    issuer.active[raw] = {}
    return raw


def test_an_active_token_is_accepted_and_the_answer_cached(
    issuer: IssuerState, introspecting: TokenValidator, es_key: SigningKey
) -> None:
    raw = _active(issuer, es_key)
    assert introspecting.validate(raw).subject == "user-123"
    assert asyncio.run(introspecting.validate_async(raw)).subject == "user-123"
    assert issuer.hits["introspect"] == 1
    # client_secret_basic, form-encoded first (RFC 6749 §2.3.1): the secret has ':' and '%'
    assert issuer.introspection_auth == [
        "Basic b3JkZXJzLWFwaTpzM2NyZXQlM0F3aXRoJTI1b2RkJTI2Y2hhcnM="
    ]


def test_an_inactive_token_is_invalid(
    issuer: IssuerState, introspecting: TokenValidator, es_key: SigningKey
) -> None:
    raw = es_key.sign(claims_for(issuer.url))  # validly signed, but revoked at the issuer
    with pytest.raises(InvalidToken) as caught:
        introspecting.validate(raw)
    assert (
        caught.value.description == "the token is no longer active (revoked or ended at the issuer)"
    )
    with pytest.raises(InvalidToken):
        introspecting.validate(raw)
    assert issuer.hits["introspect"] == 1  # the negative answer is cached too


def test_revocation_is_noticed_once_the_cache_entry_ends(
    issuer: IssuerState, introspecting: TokenValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    raw = _active(issuer, es_key, exp=int(NOW) + 3600)
    introspecting.validate(raw)
    del issuer.active[raw]  # revoked
    clock.advance(29)
    introspecting.validate(raw)  # still the cached answer
    clock.advance(1)
    with pytest.raises(InvalidToken, match="no longer active"):
        introspecting.validate(raw)
    assert issuer.hits["introspect"] == 2


def test_an_answer_is_never_cached_past_the_tokens_exp(
    issuer: IssuerState, introspecting: TokenValidator, clock: FakeClock, es_key: SigningKey
) -> None:
    raw = _active(issuer, es_key, exp=int(NOW) + 10)
    introspecting.validate(raw)
    clock.advance(11)  # past exp, inside the 30 s leeway: still valid locally
    introspecting.validate(raw)
    assert issuer.hits["introspect"] == 2


def test_tokens_that_fail_locally_are_never_introspected(
    issuer: IssuerState, introspecting: TokenValidator, es_key: SigningKey
) -> None:
    for raw in ("garbage", es_key.sign(claims_for(issuer.url, aud="https://elsewhere"))):
        with pytest.raises(InvalidToken):
            introspecting.validate(raw)
    assert issuer.hits["introspect"] == 0


@pytest.mark.parametrize(
    "answer",
    [
        {"aud": "https://billing.example.com"},
        {"iss": "https://evil.example.com"},
        {"active": "yes"},
    ],
)
def test_an_answer_that_disagrees_is_inactive(
    issuer: IssuerState, introspecting: TokenValidator, es_key: SigningKey, answer: dict[str, Any]
) -> None:
    raw = es_key.sign(claims_for(issuer.url))
    issuer.active[raw] = answer
    with pytest.raises((InvalidToken, IssuerUnavailable)):
        introspecting.validate(raw)


def test_wrong_api_credentials_are_reported(
    issuer: IssuerState, make_validator: MakeValidator, es_key: SigningKey
) -> None:
    validator = make_validator(introspection=Introspection(API_CLIENT_ID, "wrong"))
    with pytest.raises(IssuerUnavailable) as caught:
        validator.validate(_active(issuer, es_key))
    assert caught.value.description == (
        "the introspection endpoint refused this API's client credentials (HTTP 401); "
        "check client_id and client_secret"
    )


def test_a_failing_endpoint_is_reported(
    issuer: IssuerState, introspecting: TokenValidator, es_key: SigningKey
) -> None:
    issuer.introspection_status = 500
    with pytest.raises(
        IssuerUnavailable, match=r"token introspection failed: .*/introspect answered HTTP 500"
    ):
        introspecting.validate(_active(issuer, es_key))


def test_an_issuer_without_introspection_is_reported(
    issuer: IssuerState, introspecting: TokenValidator, es_key: SigningKey
) -> None:
    issuer.introspection_enabled = False
    with pytest.raises(
        IssuerUnavailable, match="the issuer's discovery document has no introspection_endpoint"
    ):
        introspecting.validate(_active(issuer, es_key))


def test_an_explicit_endpoint_is_used(
    issuer: IssuerState, make_validator: MakeValidator, es_key: SigningKey
) -> None:
    issuer.introspection_enabled = False
    validator = make_validator(
        introspection=Introspection(
            API_CLIENT_ID, API_CLIENT_SECRET, endpoint=f"{issuer.url}/introspect"
        )
    )
    validator.validate(_active(issuer, es_key))
    assert issuer.hits["introspect"] == 1


def test_the_secret_is_not_in_the_repr() -> None:
    assert API_CLIENT_SECRET not in repr(Introspection(API_CLIENT_ID, API_CLIENT_SECRET))
