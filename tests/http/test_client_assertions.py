"""JWT client authentication at the token endpoint: private_key_jwt with keys by value and at a
jwks_uri (a real loopback HTTP server), and client_secret_jwt (RFC 7523 §2.2, §3; OIDC Core §9;
RFC 8725). The client_credentials grant is used throughout because it is the cheapest."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from starlette.testclient import TestClient

from gatehouse.admin import clients as client_admin
from gatehouse.keys import remote
from gatehouse.keys.jose import public_keyset, verify_jwt
from gatehouse.runtime import Runtime
from gatehouse.web.app import create_app
from tests.cli.conftest import Gatehouse, cli_environment
from tests.conftest import ISSUER, TEST_SECRET_KEY
from tests.support.factories import ORDERS_API, grant_roles, make_api, make_daemon
from tests.support.flow import install_clock
from tests.support.jwks_server import JwksServer, jwks_server
from tests.support.live_server import start_server
from tests.support.tokens import assert_oauth_error, token_claims

TOKEN_ENDPOINT = f"{ISSUER}/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEFAULT = f"{ORDERS_API}/.default"
DAEMON_ARGS = ("--grant-type", "client_credentials", "--auth-method", "private_key_jwt")


# -- Keys and assertions ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}, private=True)


@pytest.fixture(scope="module")
def ec_key() -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": "ec-1"}, private=True)


@pytest.fixture(scope="module")
def other_rsa_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "rsa-1"}, private=True)


def public_jwks(*keys: RSAKey | ECKey) -> dict[str, Any]:
    return {"keys": [dict(k.as_dict(private=False)) for k in keys]}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(client_id: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": TOKEN_ENDPOINT,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 60,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(key: RSAKey | ECKey | OctKey, claims: dict[str, Any], alg: str | None = None) -> str:
    alg = alg or {"RSA": "RS256", "EC": "ES256", "oct": "HS256"}[key.key_type]
    header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if key.kid:
        header["kid"] = key.kid
    return jwt.encode(header, claims, key, algorithms=[alg])


def hand_signed(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    """A JWS built by hand, for the forgeries a JOSE library refuses to make."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def with_assertion(http: TestClient, assertion: str, **extra: str) -> Any:
    data = {
        "grant_type": "client_credentials",
        "scope": DEFAULT,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        **extra,
    }
    return http.post("/token", data=data)


def assert_tokens(runtime: Runtime, response: Any, client_id: str) -> None:
    assert response.status_code == 200, response.text
    claims = token_claims(runtime, response.json()["access_token"])
    assert claims["client_id"] == client_id and claims["sub"] == client_id


# -- Clients ---------------------------------------------------------------------------------


@pytest.fixture
def gh(database_url: str, tmp_path: Path) -> Gatehouse:
    return Gatehouse(cli_environment(database_url, tmp_path))


@pytest.fixture
def api(runtime: Runtime) -> str:
    make_api(runtime, ORDERS_API)
    return ORDERS_API


def _grant(runtime: Runtime, client_id: str) -> None:
    grant_roles(runtime, client_id, ORDERS_API, "orders.export")


@pytest.fixture
def by_value(
    runtime: Runtime, gh: Gatehouse, api: str, tmp_path: Path, rsa_key: RSAKey, ec_key: ECKey
) -> str:
    """A client registered with `gatehouse client create --jwks FILE` (keys by value)."""
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(public_jwks(rsa_key, ec_key)))
    created = gh.ok("client", "create", "--client-id", "keyed", *DAEMON_ARGS, "--jwks", str(path))
    assert created["auth_method"] == "private_key_jwt"
    assert "client_secret" not in created
    _grant(runtime, "keyed")
    return "keyed"


@pytest.fixture
def served() -> Iterator[JwksServer]:
    with jwks_server() as server:
        yield server


@pytest.fixture
def by_uri(
    runtime: Runtime, gh: Gatehouse, api: str, served: JwksServer, rsa_key: RSAKey
) -> JwksServer:
    """A client registered with --jwks-uri pointing at the loopback server."""
    served.document = public_jwks(rsa_key)
    created = gh.ok(
        "client", "create", "--client-id", "fetched", *DAEMON_ARGS, "--jwks-uri", served.url
    )
    assert created["jwks_uri"] == served.url
    _grant(runtime, "fetched")
    assert served.hits == 0  # registration does not fetch
    return served


# -- private_key_jwt with keys by value ------------------------------------------------------


@pytest.mark.parametrize("which", ["rsa", "ec"])
def test_a_valid_assertion_gets_tokens(
    runtime: Runtime,
    http: TestClient,
    by_value: str,
    rsa_key: RSAKey,
    ec_key: ECKey,
    which: str,
) -> None:
    key = rsa_key if which == "rsa" else ec_key
    assert_tokens(runtime, with_assertion(http, sign(key, claims_for(by_value))), by_value)


def test_only_rs256_and_es256_are_accepted(
    http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    for alg in ("PS256", "RS512"):
        response = with_assertion(http, sign(rsa_key, claims_for(by_value), alg=alg))
        assert_oauth_error(response, "invalid_client", "signed with one of RS256, ES256")


@pytest.mark.parametrize(
    "aud",
    [ISSUER, [TOKEN_ENDPOINT], ["https://other.example", TOKEN_ENDPOINT]],
    ids=["issuer", "list", "list-with-others"],
)
def test_other_accepted_audiences(
    runtime: Runtime, http: TestClient, by_value: str, rsa_key: RSAKey, aud: Any
) -> None:
    response = with_assertion(http, sign(rsa_key, claims_for(by_value, aud=aud)))
    assert_tokens(runtime, response, by_value)


def test_client_id_in_the_body_may_accompany_the_assertion(
    runtime: Runtime, http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    response = with_assertion(http, sign(rsa_key, claims_for(by_value)), client_id=by_value)
    assert_tokens(runtime, response, by_value)


def test_a_replayed_assertion_is_invalid_client(
    runtime: Runtime, http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    assertion = sign(rsa_key, claims_for(by_value))
    assert_tokens(runtime, with_assertion(http, assertion), by_value)
    assert_oauth_error(with_assertion(http, assertion), "invalid_client", "already used")
    # The same jti in a freshly signed assertion is a replay too.
    jti = json.loads(base64.urlsafe_b64decode(assertion.split(".")[1] + "=="))["jti"]
    again = sign(rsa_key, claims_for(by_value, jti=jti, exp=int(time.time()) + 120))
    assert_oauth_error(with_assertion(http, again), "invalid_client", "already used")


NOW = int(time.time())
BAD_CLAIMS = [
    pytest.param({"aud": "https://other.example/token"}, "aud", id="wrong-aud"),
    pytest.param({"aud": f"{ISSUER}/authorize"}, "aud", id="other-endpoint-aud"),
    pytest.param({"aud": None}, "aud", id="no-aud"),
    pytest.param({"exp": "expired"}, "expired", id="expired"),
    pytest.param({"exp": "too-long"}, "within an hour", id="exp-beyond-an-hour"),
    pytest.param({"exp": None}, "exp", id="no-exp"),
    pytest.param({"exp": "string"}, "exp", id="exp-not-a-number"),
    pytest.param({"jti": None}, "jti", id="no-jti"),
    pytest.param({"jti": ""}, "jti", id="empty-jti"),
    pytest.param({"jti": "j" * 256}, "jti", id="jti-too-long"),
    pytest.param({"sub": "someone-else"}, "iss and sub", id="iss-not-sub"),
    pytest.param({"sub": None}, "iss and sub", id="no-sub"),
    pytest.param({"nbf": "future"}, "nbf", id="nbf-in-future"),
    pytest.param({"iat": "future"}, "iat", id="iat-in-future"),
    pytest.param({"nbf": "future-fraction"}, "nbf is in the future", id="nbf-in-future-float"),
    pytest.param({"iat": "future-fraction"}, "iat is in the future", id="iat-in-future-float"),
    # RFC 7519 §2: a NumericDate is a number; a bool (an int to Python) is not, and NaN and
    # the infinities, which Python's json module parses, are not numbers JSON can carry.
    pytest.param({"exp": True}, "exp must be a NumericDate", id="exp-bool"),
    pytest.param({"exp": math.nan}, "exp must be a NumericDate", id="exp-nan"),
    pytest.param({"exp": math.inf}, "exp must be a NumericDate", id="exp-infinity"),
    pytest.param({"nbf": math.nan}, "nbf must be a NumericDate", id="nbf-nan"),
    pytest.param({"nbf": -math.inf}, "nbf must be a NumericDate", id="nbf-minus-infinity"),
    pytest.param({"iat": "string"}, "iat must be a NumericDate", id="iat-string"),
    pytest.param({"iat": False}, "iat must be a NumericDate", id="iat-bool"),
]


@pytest.mark.parametrize(("change", "fragment"), BAD_CLAIMS)
def test_bad_claims_are_invalid_client(
    runtime: Runtime,
    http: TestClient,
    by_value: str,
    rsa_key: RSAKey,
    change: dict[str, Any],
    fragment: str,
) -> None:
    now = install_clock(runtime).now  # the server judges by this second, not the next one
    special = {
        "expired": now - 300,
        "too-long": now + 3600 + 300,
        "string": "tomorrow",
        "future": now + 600,
        "future-fraction": now + 60.5,  # just past the 60 s leeway
    }
    overrides = {k: special.get(v, v) if isinstance(v, str) else v for k, v in change.items()}
    response = with_assertion(http, sign(rsa_key, claims_for(by_value, **overrides)))
    assert_oauth_error(response, "invalid_client", fragment)


@pytest.mark.parametrize(
    "times",
    [
        pytest.param({"exp": 59.5}, id="exp"),
        pytest.param({"iat": -0.25}, id="iat"),
        pytest.param({"nbf": -0.25}, id="nbf"),
        pytest.param({"iat": 1.5, "nbf": 1.5}, id="iat-and-nbf-ahead-within-leeway"),
        pytest.param({"exp": 59.999, "iat": 0.001, "nbf": 0.001}, id="all"),
    ],
)
def test_non_integer_times_are_accepted(
    runtime: Runtime, http: TestClient, by_value: str, rsa_key: RSAKey, times: dict[str, float]
) -> None:
    """RFC 7519 §2: a NumericDate "can represent any time value, including non-integer
    values"; many client libraries send time.time() unrounded."""
    clock = install_clock(runtime)
    claims = claims_for(by_value, **{name: clock.now + delta for name, delta in times.items()})
    assertion = sign(rsa_key, claims)
    assert_tokens(runtime, with_assertion(http, assertion), by_value)
    assert_oauth_error(with_assertion(http, assertion), "invalid_client", "already used")


def test_a_non_integer_exp_still_expires(
    runtime: Runtime, http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    clock = install_clock(runtime)
    assertion = sign(rsa_key, claims_for(by_value, iat=clock.now + 0.5, exp=clock.now + 30.5))
    clock.advance(91)  # exp + the 60 s leeway is behind us
    assert_oauth_error(with_assertion(http, assertion), "invalid_client", "has expired")


def test_an_hour_is_the_limit(
    runtime: Runtime, http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    clock = install_clock(runtime)
    response = with_assertion(http, sign(rsa_key, claims_for(by_value, exp=clock.now + 3600)))
    assert_tokens(runtime, response, by_value)


def test_expiry_follows_the_provider_clock(
    runtime: Runtime, http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    clock = install_clock(runtime)
    assertion = sign(rsa_key, claims_for(by_value, exp=clock.now + 60))
    clock.advance(300)
    assert_oauth_error(with_assertion(http, assertion), "invalid_client", "expired")


def test_alg_none_is_invalid_client(http: TestClient, by_value: str) -> None:
    forged = hand_signed({"alg": "none", "kid": "rsa-1"}, claims_for(by_value), None)
    assert_oauth_error(with_assertion(http, forged), "invalid_client", "signed with one of")


def test_hs256_with_the_public_key_as_secret_is_invalid_client(
    http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    """RFC 8725 §2.1: the public key must never become an HMAC key."""
    claims = claims_for(by_value)
    for secret in (
        rsa_key.as_pem(private=False),
        json.dumps(rsa_key.as_dict(private=False)).encode(),
    ):
        forged = hand_signed({"alg": "HS256", "kid": "rsa-1"}, claims, secret)
        assert_oauth_error(with_assertion(http, forged), "invalid_client")


def test_a_key_that_is_not_registered_is_invalid_client(
    http: TestClient, by_value: str, other_rsa_key: RSAKey
) -> None:
    # Same kid as the registered key, different key material.
    response = with_assertion(http, sign(other_rsa_key, claims_for(by_value)))
    assert_oauth_error(response, "invalid_client", "signature is not valid")


def test_a_tampered_assertion_is_invalid_client(
    http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    header, _payload, signature = sign(rsa_key, claims_for(by_value)).split(".")
    payload = _b64(json.dumps(claims_for(by_value, exp=int(time.time()) + 50)).encode())
    assert_oauth_error(with_assertion(http, f"{header}.{payload}.{signature}"), "invalid_client")


def test_an_assertion_for_another_client_is_invalid_client(
    runtime: Runtime,
    http: TestClient,
    by_value: str,
    rsa_key: RSAKey,
    gh: Gatehouse,
    tmp_path: Path,
) -> None:
    """Signed with keyed's key but claiming to be another private_key_jwt client."""
    other = ECKey.generate_key("P-256", parameters={"kid": "o-1"}, private=True)
    path = tmp_path / "other.json"
    path.write_text(json.dumps(public_jwks(other)))
    gh.ok("client", "create", "--client-id", "other", *DAEMON_ARGS, "--jwks", str(path))
    _grant(runtime, "other")
    response = with_assertion(http, sign(rsa_key, claims_for("other")))
    assert_oauth_error(response, "invalid_client")


@pytest.mark.parametrize(
    "assertion",
    ["", "not-a-jwt", "a.b.c", "x" * 3000, "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln"],
    ids=["empty", "garbage", "dots", "long", "payload-not-json"],
)
def test_malformed_assertions_are_refused(http: TestClient, by_value: str, assertion: str) -> None:
    response = with_assertion(http, assertion)
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"] in ("invalid_client", "invalid_request")


def test_unknown_client_is_invalid_client(http: TestClient, by_value: str, rsa_key: RSAKey) -> None:
    response = with_assertion(http, sign(rsa_key, claims_for("nobody")))
    assert_oauth_error(response, "invalid_client", "unknown client")


def test_a_wrong_assertion_type_is_invalid_request(
    http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    response = with_assertion(
        http, sign(rsa_key, claims_for(by_value)), client_assertion_type="urn:x:saml"
    )
    assert_oauth_error(response, "invalid_request", ASSERTION_TYPE)


def test_an_assertion_with_a_secret_as_well_is_invalid_request(
    http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    response = with_assertion(http, sign(rsa_key, claims_for(by_value)), client_secret="s" * 40)
    assert_oauth_error(response, "invalid_request", "one client authentication method")


def test_client_id_differing_from_the_assertion_is_invalid_client(
    http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    response = with_assertion(http, sign(rsa_key, claims_for(by_value)), client_id="someone")
    assert_oauth_error(response, "invalid_client", "client_id differs")


def test_a_private_key_jwt_client_cannot_use_a_secret(http: TestClient, by_value: str) -> None:
    response = http.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": DEFAULT},
        auth=(by_value, "s" * 43),
    )
    assert_oauth_error(response, "invalid_client", "private_key_jwt")


def test_a_secret_client_cannot_use_an_assertion(
    runtime: Runtime, http: TestClient, api: str, rsa_key: RSAKey
) -> None:
    make_daemon(runtime, "basic")
    _grant(runtime, "basic")
    response = with_assertion(http, sign(rsa_key, claims_for("basic")))
    assert_oauth_error(response, "invalid_client", "client_secret_basic")


# -- private_key_jwt with a jwks_uri ---------------------------------------------------------


def test_keys_are_fetched_from_the_jwks_uri_and_cached(
    runtime: Runtime, http: TestClient, by_uri: JwksServer, rsa_key: RSAKey
) -> None:
    for _ in range(3):
        assert_tokens(
            runtime, with_assertion(http, sign(rsa_key, claims_for("fetched"))), "fetched"
        )
    assert by_uri.hits == 1


def test_an_unknown_kid_triggers_a_refetch(
    runtime: Runtime,
    http: TestClient,
    by_uri: JwksServer,
    rsa_key: RSAKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(remote, "MIN_REFETCH_SECONDS", 0.0)
    assert_tokens(runtime, with_assertion(http, sign(rsa_key, claims_for("fetched"))), "fetched")
    assert by_uri.hits == 1
    # The client rotates its key: publishes the new one, signs with it.
    rotated = ECKey.generate_key("P-256", parameters={"kid": "ec-rotated"}, private=True)
    by_uri.document = public_jwks(rotated)
    assert_tokens(runtime, with_assertion(http, sign(rotated, claims_for("fetched"))), "fetched")
    assert by_uri.hits == 2
    # The retired key no longer works once the new set is known.
    response = with_assertion(http, sign(rsa_key, claims_for("fetched")))
    assert_oauth_error(response, "invalid_client")


def test_a_flood_of_unknown_kids_does_not_hammer_the_jwks_uri(
    runtime: Runtime, http: TestClient, by_uri: JwksServer, rsa_key: RSAKey
) -> None:
    assert_tokens(runtime, with_assertion(http, sign(rsa_key, claims_for("fetched"))), "fetched")
    for index in range(5):
        bogus = RSAKey.import_key(
            rsa_key.as_dict(private=True), parameters={"kid": f"bogus-{index}"}
        )
        response = with_assertion(http, sign(bogus, claims_for("fetched")))
        assert response.status_code in (200, 401), response.text
    assert by_uri.hits == 1


FAILURES = [
    pytest.param("slow", "could not be fetched", id="timeout"),
    pytest.param("trickle", "", id="trickling-body"),
    pytest.param("huge", "larger than 64 KiB", id="oversized"),
    pytest.param("not_json", "did not return JSON", id="not-json"),
    pytest.param("error", "HTTP 500", id="http-500"),
]


@pytest.mark.parametrize(("mode", "fragment"), FAILURES)
def test_a_misbehaving_jwks_uri_is_invalid_client_quickly(
    runtime: Runtime,
    http: TestClient,
    by_uri: JwksServer,
    rsa_key: RSAKey,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    fragment: str,
) -> None:
    monkeypatch.setattr(remote, "TIMEOUT_SECONDS", 1.0)
    by_uri.mode = mode
    by_uri.delay = 3.0
    started = time.monotonic()
    response = with_assertion(http, sign(rsa_key, claims_for("fetched")))
    elapsed = time.monotonic() - started
    assert_oauth_error(response, "invalid_client", fragment)
    assert elapsed < 3.0, f"took {elapsed:.1f}s with a 1s timeout"
    assert by_uri.hits == 1


def test_a_json_document_that_is_not_a_jwk_set_is_invalid_client(
    http: TestClient, by_uri: JwksServer, rsa_key: RSAKey
) -> None:
    by_uri.document = {"not": "keys"}
    response = with_assertion(http, sign(rsa_key, claims_for("fetched")))
    assert_oauth_error(response, "invalid_client", "JWK Set")


def test_an_unreachable_jwks_uri_is_invalid_client(
    runtime: Runtime, http: TestClient, by_uri: JwksServer, rsa_key: RSAKey
) -> None:
    by_uri.stop()  # nothing listens on the port any more
    response = with_assertion(http, sign(rsa_key, claims_for("fetched")))
    assert_oauth_error(response, "invalid_client", "could not be fetched")


def test_a_jwks_uri_that_recovers_is_used(
    runtime: Runtime,
    http: TestClient,
    by_uri: JwksServer,
    rsa_key: RSAKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    by_uri.mode = "error"
    assert_oauth_error(with_assertion(http, sign(rsa_key, claims_for("fetched"))), "invalid_client")
    # The failure is remembered for a short while: no refetch on every request.
    assert_oauth_error(with_assertion(http, sign(rsa_key, claims_for("fetched"))), "invalid_client")
    assert by_uri.hits == 1
    by_uri.mode = "ok"
    monkeypatch.setattr(remote, "MIN_REFETCH_SECONDS", 0.0)
    assert_tokens(runtime, with_assertion(http, sign(rsa_key, claims_for("fetched"))), "fetched")


# -- client_secret_jwt -----------------------------------------------------------------------


@pytest.fixture
def hmac_client(runtime: Runtime, api: str) -> dict[str, Any]:
    client = make_daemon(runtime, "hmac", auth_method="client_secret_jwt")
    _grant(runtime, "hmac")
    return client


def hs256(secret: str, client_id: str = "hmac", **overrides: Any) -> str:
    return sign(OctKey.import_key(secret.encode()), claims_for(client_id, **overrides))


def test_client_secret_jwt_gets_tokens(
    runtime: Runtime, http: TestClient, hmac_client: dict[str, Any]
) -> None:
    response = with_assertion(http, hs256(hmac_client["client_secret"]))
    assert_tokens(runtime, response, "hmac")


def test_a_signed_assertion_whose_jti_is_not_unicode_is_invalid_client(
    http: TestClient, hmac_client: dict[str, Any]
) -> None:
    """JSON can escape a lone surrogate; such a jti could not be stored (this was a 500)."""
    header = {"alg": "HS256", "typ": "JWT"}
    claims = claims_for("hmac", jti="\udfff")
    assertion = hand_signed(header, claims, hmac_client["client_secret"].encode())
    assert_oauth_error(with_assertion(http, assertion), "invalid_client")


def test_client_secret_jwt_with_a_wrong_secret_is_invalid_client(
    http: TestClient, hmac_client: dict[str, Any]
) -> None:
    response = with_assertion(http, hs256("w" * 43))
    assert_oauth_error(response, "invalid_client", "current client secret")


def test_client_secret_jwt_checks_the_claims_too(
    http: TestClient, hmac_client: dict[str, Any]
) -> None:
    secret = hmac_client["client_secret"]
    assertion = hs256(secret)
    assert with_assertion(http, assertion).status_code == 200
    assert_oauth_error(with_assertion(http, assertion), "invalid_client", "already used")
    wrong_aud = hs256(secret, aud="https://other.example/token")
    assert_oauth_error(with_assertion(http, wrong_aud), "invalid_client", "aud")


def test_client_secret_jwt_refuses_asymmetric_assertions(
    http: TestClient, hmac_client: dict[str, Any], rsa_key: RSAKey
) -> None:
    response = with_assertion(http, sign(rsa_key, claims_for("hmac")))
    assert_oauth_error(response, "invalid_client")


def test_client_secret_jwt_follows_secret_rotation(
    runtime: Runtime, http: TestClient, hmac_client: dict[str, Any]
) -> None:
    added = client_admin.add_secret(runtime, "hmac", None, None)
    assert with_assertion(http, hs256(added["client_secret"])).status_code == 200
    assert with_assertion(http, hs256(hmac_client["client_secret"])).status_code == 200
    first = client_admin.list_secrets(runtime, "hmac")[0]["secret_id"]
    client_admin.revoke_secret(runtime, "hmac", first)
    assert_oauth_error(with_assertion(http, hs256(hmac_client["client_secret"])), "invalid_client")
    assert with_assertion(http, hs256(added["client_secret"])).status_code == 200


def test_client_secret_jwt_client_cannot_use_basic(
    http: TestClient, hmac_client: dict[str, Any]
) -> None:
    response = http.post(
        "/token",
        data={"grant_type": "client_credentials", "scope": DEFAULT},
        auth=("hmac", hmac_client["client_secret"]),
    )
    assert_oauth_error(response, "invalid_client", "client_secret_jwt")


def test_a_slow_jwks_uri_does_not_hold_up_other_clients(
    runtime: Runtime,
    http: TestClient,
    gh: Gatehouse,
    by_uri: JwksServer,
    rsa_key: RSAKey,
    ec_key: ECKey,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One client's misbehaving key server must not stall every other client's fetch."""
    # The slow fetch holds for 4 s; the other client must not wait for it (bound generous
    # enough for a loaded machine, well below the 4 s a shared lock would cost).
    monkeypatch.setattr(remote, "TIMEOUT_SECONDS", 4.0)
    by_uri.mode, by_uri.delay = "slow", 6.0
    with jwks_server() as fast:
        fast.document = public_jwks(ec_key)
        gh.ok("client", "create", "--client-id", "quick", *DAEMON_ARGS, "--jwks-uri", fast.url)
        _grant(runtime, "quick")
        slow_started = threading.Event()

        def slow_request() -> None:
            with TestClient(create_app(runtime), base_url=ISSUER) as other:
                slow_started.set()
                with_assertion(other, sign(rsa_key, claims_for("fetched")))

        thread = threading.Thread(target=slow_request)
        thread.start()
        try:
            slow_started.wait(10)
            deadline = time.monotonic() + 10
            while by_uri.hits == 0 and time.monotonic() < deadline:
                time.sleep(0.02)  # the slow fetch is under way
            started = time.monotonic()
            response = with_assertion(http, sign(ec_key, claims_for("quick")))
            elapsed = time.monotonic() - started
        finally:
            thread.join(30)
        assert_tokens(runtime, response, "quick")
        assert elapsed < 2.5, f"waited {elapsed:.1f}s behind another client's jwks_uri"


@pytest.mark.parametrize("which", ["rsa", "ec"])
def test_an_assertion_without_kid_is_verified_with_the_registered_keys(
    runtime: Runtime,
    http: TestClient,
    by_value: str,
    rsa_key: RSAKey,
    ec_key: ECKey,
    which: str,
) -> None:
    """Many client libraries send no kid; the key is then found by trying the registered ones."""
    key = rsa_key if which == "rsa" else ec_key
    alg = "RS256" if which == "rsa" else "ES256"
    assertion = jwt.encode({"alg": alg}, claims_for(by_value), key, algorithms=[alg])
    assert_tokens(runtime, with_assertion(http, assertion), by_value)


# -- Authlib's client against a real `gatehouse serve` ---------------------------------------


@pytest.mark.e2e
def test_authlib_private_key_jwt_and_client_secret_jwt_against_a_live_server(
    database_url: str, tmp_path: Path, rsa_key: RSAKey, ec_key: ECKey
) -> None:

    server = start_server(database_url, tmp_path / "server", secret_key=TEST_SECRET_KEY)
    try:
        jwks_path = tmp_path / "client-jwks.json"
        jwks_path.write_text(json.dumps(public_jwks(rsa_key, ec_key)))
        server.cli(
            "api", "create", "--identifier", ORDERS_API, "--app-role", "orders.export=Export"
        )
        server.cli(
            "client", "create", "--client-id", "keyed", *DAEMON_ARGS, "--jwks", str(jwks_path)
        )
        hs = server.cli(
            "client",
            "create",
            "--client-id",
            "hs",
            "--grant-type",
            "client_credentials",
            "--auth-method",
            "client_secret_jwt",
        )
        for client_id in ("keyed", "hs"):
            server.cli(
                "grant",
                "app-role",
                "--client",
                client_id,
                "--api",
                ORDERS_API,
                "--role",
                "orders.export",
            )
        token_endpoint = server.url("/token")
        server_keys = public_keyset(json.loads(_get(server.url("/jwks"))))

        sessions = {
            "keyed": OAuth2Session(
                "keyed", rsa_key, token_endpoint_auth_method=PrivateKeyJWT(token_endpoint)
            ),
            "keyed-ec": OAuth2Session(
                "keyed",
                ec_key,
                token_endpoint_auth_method=PrivateKeyJWT(token_endpoint, alg="ES256"),
            ),
            "hs": OAuth2Session(
                "hs",
                hs["client_secret"],
                token_endpoint_auth_method=ClientSecretJWT(token_endpoint),
            ),
        }
        for name, session in sessions.items():
            with session:
                token = session.fetch_token(
                    token_endpoint, grant_type="client_credentials", scope=DEFAULT
                )
            _header, claims = verify_jwt(
                token["access_token"], server_keys, algorithms=("ES256", "RS256")
            )
            assert claims["aud"] == ORDERS_API, name
            assert claims["roles"] == ["orders.export"], name
            assert claims["iss"] == server.issuer, name
            assert "refresh_token" not in token, name

        # A wrong key is refused with invalid_client, which Authlib raises as an OAuthError.
        stranger = RSAKey.generate_key(2048, private=True)
        with (
            OAuth2Session(
                "keyed", stranger, token_endpoint_auth_method=PrivateKeyJWT(token_endpoint)
            ) as session,
            pytest.raises(OAuthError) as raised,
        ):
            session.fetch_token(token_endpoint, grant_type="client_credentials", scope=DEFAULT)
        assert raised.value.error == "invalid_client"
    finally:
        server.stop()
        print(server.log()[-4000:])


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return str(response.read().decode())


def test_a_replayed_assertion_wins_once_under_concurrency(
    runtime: Runtime, http: TestClient, by_value: str, rsa_key: RSAKey
) -> None:
    """The one-time jti is decided by the database, not by a read-then-write race."""
    assertion = sign(rsa_key, claims_for(by_value))
    count = 6
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    lock = threading.Lock()

    def send() -> None:
        with TestClient(create_app(runtime), base_url=ISSUER) as client:
            barrier.wait(timeout=30)
            response = with_assertion(client, assertion)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [200] + [401] * (count - 1), statuses
