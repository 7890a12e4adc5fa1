"""protocol.request_object: a request object is verified with the client's registered keys
and algorithm only (RFC 9101, RFC 8725 §3.1), its claims checked (iss, aud, exp, nbf, iat,
client_id, no nesting), and its claims turned into request parameters."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from joserfc.jwk import ECKey, OctKey, RSAKey

from gatehouse.errors import InvalidRequestObject
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.request_object import request_object_parameters
from gatehouse.runtime import Runtime
from tests.support.request_objects import hmac_with, object_claims, public_jwks, sign, unsigned
from tests.unit.protocol.conftest import Registered, register

RSA = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
EC = ECKey.generate_key("P-256", parameters={"kid": "k2"}, private=True)


@pytest.fixture
def rs256(runtime: Runtime) -> Registered:
    return register(runtime, "rs", jwks=public_jwks(RSA), request_object_signing_alg="RS256")


@pytest.fixture
def es256(runtime: Runtime) -> Registered:
    return register(runtime, "es", jwks=public_jwks(EC), request_object_signing_alg="ES256")


def claims(client_id: str = "rs", **extra: Any) -> dict[str, Any]:
    return object_claims(client_id, response_type="code", scope="openid", **extra)


def test_the_parameters_of_a_verified_object(provider: Provider, rs256: Registered) -> None:
    body = claims(
        max_age=30,
        claims={"userinfo": {"email": None}},
        resource=["https://a.example", "https://b.example"],
        jti="j-1",
        state="s",
    )
    params = request_object_parameters(provider, rs256.client, sign(body, RSA, "RS256"))
    assert params.entries == {
        "response_type": "code",
        "scope": "openid",
        "client_id": "rs",
        "max_age": "30",
        "claims": json.dumps({"userinfo": {"email": None}}),
        "resource": "https://a.example",
        "state": "s",
    }
    assert params.all("resource") == ("https://a.example", "https://b.example")


def test_es256_with_the_client_jwks(provider: Provider, es256: Registered) -> None:
    params = request_object_parameters(provider, es256.client, sign(claims("es"), EC, "ES256"))
    assert params["client_id"] == "es"


def test_hs256_with_a_client_secret_jwt_clients_secret(
    provider: Provider, runtime: Runtime
) -> None:
    hs = register(
        runtime, "hs", auth_method="client_secret_jwt", request_object_signing_alg="HS256"
    )
    assert hs.secret is not None
    key = OctKey.import_key(hs.secret.encode())
    params = request_object_parameters(provider, hs.client, sign(claims("hs"), key, "HS256"))
    assert params["client_id"] == "hs"
    wrong = OctKey.import_key(b"x" * 40)
    with pytest.raises(InvalidRequestObject, match="current client secret"):
        request_object_parameters(provider, hs.client, sign(claims("hs"), wrong, "HS256"))


def _with_header(header: dict[str, Any], body: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(body)}.c2ln"


REFUSED: list[tuple[str, Any, str]] = [
    ("unsigned", lambda now: unsigned(claims()), "alg none"),
    ("none-uppercase", lambda now: _with_header({"alg": "NONE"}, claims()), "alg none"),
    ("no-alg", lambda now: _with_header({"typ": "JWT"}, claims()), "not a signed JWT"),
    ("hs256-public-key", lambda now: hmac_with(claims(), RSA.as_pem(private=False)), "RS256"),
    ("es256-not-registered", lambda now: sign(claims(), EC, "ES256"), "must be signed with RS256"),
    ("iss", lambda now: sign({**claims(), "iss": "es"}, RSA, "RS256"), "iss must be"),
    ("aud-list", lambda now: sign({**claims(), "aud": ["x"]}, RSA, "RS256"), "aud must be"),
    ("client_id", lambda now: sign({**claims(), "client_id": "es"}, RSA, "RS256"), "another"),
    ("exp-past", lambda now: sign({**claims(), "exp": now - 61}, RSA, "RS256"), "expired"),
    ("exp-text", lambda now: sign({**claims(), "exp": "soon"}, RSA, "RS256"), "NumericDate"),
    ("exp-far", lambda now: sign({**claims(), "exp": now + 3700}, RSA, "RS256"), "too long"),
    ("iat-future", lambda now: sign({**claims(), "iat": now + 120}, RSA, "RS256"), "iat is in the"),
    ("nested", lambda now: sign({**claims(), "request": "x"}, RSA, "RS256"), "must not contain"),
    ("bool", lambda now: sign({**claims(), "max_age": True}, RSA, "RS256"), "must be a string"),
    ("resource", lambda now: sign({**claims(), "resource": [1]}, RSA, "RS256"), "must be a string"),
    ("nul", lambda now: sign({**claims(), "state": "a\x00b"}, RSA, "RS256"), "NUL"),
]


@pytest.mark.parametrize(("case", "make", "fragment"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused(
    provider: Provider, rs256: Registered, case: str, make: Any, fragment: str
) -> None:
    with pytest.raises(InvalidRequestObject, match=fragment) as caught:
        request_object_parameters(provider, rs256.client, make(provider.clock()))
    assert caught.value.redirect is None


def test_a_client_without_an_algorithm_or_keys(provider: Provider, runtime: Runtime) -> None:
    plain = register(runtime, "plain")
    with pytest.raises(InvalidRequestObject, match="has not registered"):
        request_object_parameters(provider, plain.client, sign(claims("plain"), RSA, "RS256"))
