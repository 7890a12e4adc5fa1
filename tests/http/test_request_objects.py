"""Signed request objects over HTTP (RFC 9101, OIDC Core §6.1): by value at /authorize and
inside a push to /par; verified with the client's registered keys and algorithm, and every
way an object can be unsigned, wrongly signed or wrongly addressed refused with
invalid_request_object."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc.jwk import ECKey, OctKey, RSAKey
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.factories import REDIRECT_URI, make_client, make_user
from tests.support.flow import (
    FakeClock,
    assert_error_page,
    authorize_params,
    follow_to_client,
    install_clock,
    query_of,
    redeem,
)
from tests.support.request_objects import hmac_with, object_claims, public_jwks, sign, unsigned
from tests.support.tokens import token_claims


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}, private=True)


@pytest.fixture(scope="module")
def other_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}, private=True)


@pytest.fixture
def clock(runtime: Runtime) -> FakeClock:
    return install_clock(runtime)


@pytest.fixture
def signer(runtime: Runtime, rsa_key: RSAKey) -> dict[str, Any]:
    """A confidential client (client_secret_basic) that signs its requests with RS256."""
    make_user(runtime)
    return make_client(
        runtime, "signer", jwks=public_jwks(rsa_key), request_object_signing_alg="RS256"
    )


def request_claims(**overrides: Any) -> tuple[dict[str, Any], str]:
    params, verifier = authorize_params("signer")
    return object_claims("signer", **{**params, **overrides}), verifier


def test_a_signed_request_object_by_value_signs_in(
    runtime: Runtime, http: TestClient, signer: dict[str, Any], rsa_key: RSAKey, clock: FakeClock
) -> None:
    claims, verifier = request_claims(scope="openid email", max_age=600)
    # RFC 9101 §5: only the object's parameters count; the query's are ignored.
    query = {
        "client_id": "signer",
        "request": sign(claims, rsa_key, "RS256"),
        "scope": "openid profile",
        "state": "from-the-query",
        "redirect_uri": "https://evil.example/cb",
    }
    location = follow_to_client(http, http.get("/authorize", params=query))
    assert location.startswith(REDIRECT_URI + "?")
    answer = query_of(location)
    assert answer["state"] == claims["state"]
    tokens = redeem(http, answer["code"], verifier, signer).json()
    assert tokens["scope"] == "openid email"
    assert token_claims(runtime, tokens["id_token"])["nonce"] == claims["nonce"]


def test_a_request_object_pushed_to_par_signs_in(
    http: TestClient, signer: dict[str, Any], rsa_key: RSAKey, clock: FakeClock
) -> None:
    claims, verifier = request_claims()
    pushed = http.post(
        "/par",
        data={"client_id": "signer", "request": sign(claims, rsa_key, "RS256")},
        auth=("signer", signer["client_secret"]),
    )
    assert pushed.status_code == 201, pushed.text
    response = http.get(
        "/authorize", params={"client_id": "signer", "request_uri": pushed.json()["request_uri"]}
    )
    answer = query_of(follow_to_client(http, response))
    assert answer["state"] == claims["state"]
    assert redeem(http, answer["code"], verifier, signer).status_code == 200


def test_hs256_with_the_secret_of_a_client_secret_jwt_client(
    runtime: Runtime, http: TestClient, clock: FakeClock
) -> None:
    make_user(runtime)
    client = make_client(
        runtime, "hmac", auth_method="client_secret_jwt", request_object_signing_alg="HS256"
    )
    params, _ = authorize_params("hmac")
    key = OctKey.import_key(client["client_secret"].encode())
    request = sign(object_claims("hmac", **params), key, "HS256")
    response = http.get("/authorize", params={"client_id": "hmac", "request": request})
    assert query_of(follow_to_client(http, response))["state"] == params["state"]
    other = OctKey.import_key(b"another-secret-of-at-least-32-characters")
    request = sign(object_claims("hmac", **params), other, "HS256")
    response = http.get("/authorize", params={"client_id": "hmac", "request": request})
    assert_error_page(response, "invalid_request_object")


# -- Refused objects --------------------------------------------------------------------------


def _bad_objects(rsa_key: RSAKey, other_key: RSAKey) -> dict[str, tuple[str, str]]:
    """id -> (request object, what the error says)."""
    good, _ = request_claims()
    now = int(time.time())
    ec = ECKey.generate_key("P-256", parameters={"kid": "rsa-1"}, private=True)
    public_pem = rsa_key.as_pem(private=False)
    return {
        "unsigned": (unsigned(good), "alg none"),
        "alg-none-signature-kept": (
            unsigned(good) + sign(good, rsa_key, "RS256").rsplit(".", 1)[1],
            "alg none",
        ),
        "hs256-with-the-public-key": (hmac_with(good, public_pem), "must be signed with RS256"),
        "wrong-alg": (sign(good, ec, "ES256"), "must be signed with RS256"),
        "other-key": (sign(good, other_key, "RS256"), "signature is not valid"),
        "wrong-iss": (sign({**good, "iss": "other"}, rsa_key, "RS256"), "iss must be"),
        "no-iss": (sign({**good, "iss": None}, rsa_key, "RS256"), "iss must be"),
        "wrong-aud": (sign({**good, "aud": "https://x.example"}, rsa_key, "RS256"), "aud must"),
        "other-client_id": (
            sign({**good, "client_id": "web"}, rsa_key, "RS256"),
            "another client",
        ),
        "expired": (sign({**good, "exp": now - 120}, rsa_key, "RS256"), "has expired"),
        "no-exp": (
            sign({k: v for k, v in good.items() if k != "exp"}, rsa_key, "RS256"),
            "must have an exp",
        ),
        "lives-too-long": (sign({**good, "exp": now + 86400}, rsa_key, "RS256"), "too long"),
        "nbf-in-the-future": (
            sign({**good, "nbf": now + 600}, rsa_key, "RS256"),
            "nbf is in the future",
        ),
        "nested-request_uri": (
            sign({**good, "request_uri": "urn:x"}, rsa_key, "RS256"),
            "must not contain request_uri",
        ),
        "object-valued-parameter": (
            sign({**good, "state": {"a": 1}}, rsa_key, "RS256"),
            "must be a string",
        ),
        "encrypted": ("a.b.c.d.e", "encrypted request objects"),
        "not-a-jwt": ("garbage", "not a signed JWT"),
    }


BAD_IDS = [
    "unsigned",
    "alg-none-signature-kept",
    "hs256-with-the-public-key",
    "wrong-alg",
    "other-key",
    "wrong-iss",
    "no-iss",
    "wrong-aud",
    "other-client_id",
    "expired",
    "no-exp",
    "lives-too-long",
    "nbf-in-the-future",
    "nested-request_uri",
    "object-valued-parameter",
    "encrypted",
    "not-a-jwt",
]


@pytest.mark.parametrize("case", BAD_IDS)
def test_a_bad_request_object_is_refused_at_authorize(
    http: TestClient, signer: dict[str, Any], rsa_key: RSAKey, other_key: RSAKey, case: str
) -> None:
    request, fragment = _bad_objects(rsa_key, other_key)[case]
    response = http.get("/authorize", params={"client_id": "signer", "request": request})
    assert_error_page(response, "invalid_request_object")
    assert fragment in response.text, response.text


@pytest.mark.parametrize("case", ["unsigned", "hs256-with-the-public-key", "wrong-aud"])
def test_a_bad_request_object_is_refused_at_par(
    http: TestClient, signer: dict[str, Any], rsa_key: RSAKey, other_key: RSAKey, case: str
) -> None:
    request, fragment = _bad_objects(rsa_key, other_key)[case]
    response = http.post(
        "/par", data={"request": request}, auth=("signer", signer["client_secret"])
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request_object"
    assert fragment in response.json()["error_description"]


def test_a_client_without_a_registered_algorithm_sends_no_request_object(
    runtime: Runtime, http: TestClient, rsa_key: RSAKey
) -> None:
    make_client(runtime, "plain")
    params, _ = authorize_params("plain")
    request = sign(object_claims("plain", **params), rsa_key, "RS256")
    response = http.get("/authorize", params={"client_id": "plain", "request": request})
    assert_error_page(response, "invalid_request_object")
    assert "--request-object-alg" in response.text


def test_discovery_lists_the_request_object_algorithms(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert metadata["request_parameter_supported"] is True
    assert metadata["request_object_signing_alg_values_supported"] == ["RS256", "ES256", "HS256"]
    assert metadata["issuer"] == ISSUER
