"""protocol.client_assertion: each claim rule of a JWT client assertion (RFC 7523 §3,
OIDC Core §9), for private_key_jwt with keys by value and client_secret_jwt."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey

from gatehouse.errors import InvalidClient, InvalidRequest
from gatehouse.protocol.client_assertion import (
    ASSERTION_TYPE,
    assertion_client_id,
    check_assertion_type,
    verify_assertion,
)
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from tests.unit.protocol.conftest import Registered, register

KEY = ECKey.generate_key("P-256", parameters={"kid": "k1", "alg": "ES256"}, private=True)


@pytest.fixture
def keyed(runtime: Runtime) -> Registered:
    return register(
        runtime,
        "keyed",
        grant_types=["client_credentials"],
        redirect_uris=[],
        scopes=[],
        auth_method="private_key_jwt",
        jwks={"keys": [KEY.as_dict(private=False)]},
    )


def endpoint(provider: Provider) -> str:
    return f"{provider.config.issuer}/token"


def assertion(provider: Provider, key: Any = KEY, alg: str = "ES256", **changes: Any) -> str:
    now = provider.clock()
    claims: dict[str, Any] = {
        "iss": "keyed",
        "sub": "keyed",
        "aud": endpoint(provider),
        "exp": now + 60,
        "iat": now,
        "jti": f"jti-{time.monotonic_ns()}",
    }
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    header = {"alg": alg, "kid": "k1"} if alg != "HS256" else {"alg": alg}
    return jwt.encode(header, claims, key, algorithms=[alg])


def test_a_valid_assertion(provider: Provider, keyed: Registered) -> None:
    verify_assertion(
        provider, keyed.client, assertion(provider), endpoint(provider), provider.remote_jwks
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"iss": "other"}, "iss and sub must be the client_id"),
        ({"aud": "https://elsewhere.example.com/token"}, "aud must be the token endpoint"),
        ({"exp": None}, "must have an exp claim"),
        ({"exp": -61}, "has expired"),
        ({"exp": 3600 + 61}, "lives too long"),
        ({"nbf": 61}, "nbf is in the future"),
        ({"iat": 61}, "iat is in the future"),
        ({"exp": "soon"}, "exp must be a NumericDate"),
        ({"jti": None}, "must have a jti"),
        ({"jti": "x" * 256}, "must have a jti"),
    ],
)
def test_each_claim_rule(
    provider: Provider, keyed: Registered, changes: dict[str, Any], message: str
) -> None:
    now = provider.clock()
    timed = {
        k: (now + v if k in ("exp", "nbf", "iat") and isinstance(v, int) else v)
        for k, v in changes.items()
    }
    with pytest.raises(InvalidClient, match=message):
        verify_assertion(
            provider,
            keyed.client,
            assertion(provider, **timed),
            endpoint(provider),
            provider.remote_jwks,
        )


def test_the_issuer_is_an_accepted_audience_and_a_fraction_of_a_second_is_a_date(
    provider: Provider, keyed: Registered
) -> None:
    now = provider.clock()
    token = assertion(provider, aud=[provider.config.issuer], exp=now + 30.5)
    verify_assertion(provider, keyed.client, token, endpoint(provider), provider.remote_jwks)


def test_a_jti_is_accepted_once(provider: Provider, keyed: Registered) -> None:
    token = assertion(provider, jti="once")
    verify_assertion(provider, keyed.client, token, endpoint(provider), provider.remote_jwks)
    with pytest.raises(InvalidClient, match="already used"):
        verify_assertion(provider, keyed.client, token, endpoint(provider), provider.remote_jwks)


def test_another_key_or_algorithm_is_refused(provider: Provider, keyed: Registered) -> None:
    stranger = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
    with pytest.raises(InvalidClient, match="not valid for any of the client's registered keys"):
        verify_assertion(
            provider,
            keyed.client,
            assertion(provider, stranger),
            endpoint(provider),
            provider.remote_jwks,
        )
    hmac_key = OctKey.import_key(b"s" * 32)
    with pytest.raises(InvalidClient, match="must be signed with one of RS256, ES256"):
        verify_assertion(
            provider,
            keyed.client,
            assertion(provider, hmac_key, "HS256"),
            endpoint(provider),
            provider.remote_jwks,
        )


def test_client_secret_jwt(runtime: Runtime, provider: Provider) -> None:
    hmac_client = register(
        runtime,
        "keyed",
        grant_types=["client_credentials"],
        redirect_uris=[],
        scopes=[],
        auth_method="client_secret_jwt",
    )
    assert hmac_client.secret is not None
    good = assertion(provider, OctKey.import_key(hmac_client.secret.encode()), "HS256")
    verify_assertion(provider, hmac_client.client, good, endpoint(provider), provider.remote_jwks)
    bad = assertion(provider, OctKey.import_key(b"w" * 48), "HS256")
    with pytest.raises(InvalidClient, match="not signed with a current client secret"):
        verify_assertion(
            provider, hmac_client.client, bad, endpoint(provider), provider.remote_jwks
        )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not-a-jwt", "is not a JWT"),
        (None, "must have iss and sub both equal"),
    ],
)
def test_assertion_client_id(provider: Provider, value: str | None, message: str) -> None:
    token = value or assertion(provider, sub="someone-else")
    with pytest.raises(InvalidClient, match=message):
        assertion_client_id(token)
    assert assertion_client_id(assertion(provider)) == "keyed"


def test_check_assertion_type() -> None:
    check_assertion_type(ASSERTION_TYPE)
    for value in (None, "", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"):
        with pytest.raises(InvalidRequest, match="client_assertion_type must be"):
            check_assertion_type(value)
