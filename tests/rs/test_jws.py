"""The JWS layer: typ, the algorithm allow-list, key/alg binding, signatures, malformed input.
Every token here is checked by a validator that fetched real keys from the test issuer."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization

from gatehouse.rs import InvalidToken, TokenValidator
from tests.rs.conftest import MakeValidator
from tests.rs.issuer import IssuerState, SigningKey, b64url, claims_for


def _forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    encoded = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    return encoded + "." + b64url(signature)


def _hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(mac)


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+Jwt"])
def test_access_token_types_are_accepted(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey, typ: str
) -> None:
    validator.validate(es_key.sign(claims_for(issuer.url), header={"typ": typ}))


@pytest.mark.parametrize(
    ("typ", "description"),
    [
        (None, "the token has no typ header; an access token has typ at+jwt"),
        ("JWT", "the token's typ is JWT, not at+jwt: it is not an access token"),
        ("application/jwt",
         "the token's typ is application/jwt, not at+jwt: it is not an access token"),
        ("logout+jwt", "the token's typ is logout+jwt, not at+jwt: it is not an access token"),
    ],
)  # fmt: skip
def test_other_token_types_are_refused(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    typ: str | None,
    description: str,
) -> None:
    with pytest.raises(InvalidToken) as caught:
        validator.validate(es_key.sign(claims_for(issuer.url), header={"typ": typ}))
    assert caught.value.description == description


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_an_unsigned_token_is_refused(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey, alg: str
) -> None:
    raw = _forge({"alg": alg, "typ": "at+jwt", "kid": es_key.kid}, claims_for(issuer.url))
    with pytest.raises(InvalidToken) as caught:
        validator.validate(raw)
    assert (
        caught.value.description == "the token is unsigned (alg none); access tokens must be signed"
    )


def _public_key_secrets(key: SigningKey) -> list[bytes]:
    public = key.private.public_key
    return [
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        json.dumps(key.public_jwk()).encode(),
    ]


@pytest.mark.parametrize("key_name", ["rs_key", "es_key"])
def test_hmac_signed_with_the_public_key_is_refused(
    request: pytest.FixtureRequest, issuer: IssuerState, validator: TokenValidator, key_name: str
) -> None:
    """The classic key-confusion attack: HS256 keyed with the published public key."""
    key: SigningKey = request.getfixturevalue(key_name)
    validator.validate(key.sign(claims_for(issuer.url)))  # the keys are loaded
    for secret in _public_key_secrets(key):
        for alg in ("HS256", "hs256"):
            header = {"alg": alg, "typ": "at+jwt", "kid": key.kid}
            with pytest.raises(InvalidToken) as caught:
                validator.validate(_hs256(header, claims_for(issuer.url), secret))
            assert "(a shared-secret MAC) is never accepted" in caught.value.description


def test_a_symmetric_key_in_the_jwk_set_is_never_used(
    issuer: IssuerState, make_validator: MakeValidator, es_key: SigningKey
) -> None:
    secret = b"published-secret-published-secret"
    issuer.jwks_body = json.dumps(
        {
            "keys": [
                es_key.public_jwk(),
                {"kty": "oct", "kid": "mac", "k": b64url(secret), "alg": "HS256"},
            ]
        }
    ).encode()
    validator = make_validator()
    header = {"alg": "HS256", "typ": "at+jwt", "kid": "mac"}
    with pytest.raises(InvalidToken, match="shared-secret MAC"):
        validator.validate(_hs256(header, claims_for(issuer.url), secret))
    header["alg"] = "ES256"  # an allowed alg naming the oct key: the kid is unknown
    with pytest.raises(
        InvalidToken, match="signed with key mac, which the issuer does not publish"
    ):
        validator.validate(_hs256(header, claims_for(issuer.url), secret))


def test_an_algorithm_outside_the_allow_list_is_refused(
    issuer: IssuerState, validator: TokenValidator, rs_key: SigningKey
) -> None:
    raw = rs_key.sign(claims_for(issuer.url), alg="RS384")
    with pytest.raises(InvalidToken) as caught:
        validator.validate(raw)
    assert caught.value.description == "alg RS384 is not allowed here (allowed: ES256, RS256)"
    assert issuer.hits["jwks"] == 0  # refused before any key is looked up


def test_a_key_is_only_used_with_its_own_alg(
    issuer: IssuerState, make_validator: MakeValidator, rs_key: SigningKey
) -> None:
    """RS384 is allowed here, but the JWK for rs-1 says alg RS256."""
    validator = make_validator(algorithms=("RS256", "RS384"))
    with pytest.raises(InvalidToken) as caught:
        validator.validate(rs_key.sign(claims_for(issuer.url), alg="RS384"))
    assert caught.value.description == (
        "the token says alg RS384, but key rs-1 is an RSA key for RS256 (RS256)"
    )


def test_an_ec_alg_naming_an_rsa_key_is_refused(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey, rs_key: SigningKey
) -> None:
    raw = es_key.sign(claims_for(issuer.url), header={"kid": rs_key.kid})
    with pytest.raises(InvalidToken, match="the token says alg ES256, but key rs-1 is an RSA key"):
        validator.validate(raw)


def test_an_ec_key_on_another_curve_is_not_used_for_es256(
    issuer: IssuerState, make_validator: MakeValidator
) -> None:
    p384 = SigningKey.generate("ES384", kid="p384")
    issuer.keys.append(p384)
    issuer.jwks_body = json.dumps(
        {"keys": [k.public_jwk(alg=None) for k in issuer.keys]}
    ).encode()  # no alg on the keys: only the curve binds p384 to ES384
    validator = make_validator(algorithms=("ES256", "ES384"))
    validator.validate(p384.sign(claims_for(issuer.url)))
    forged = _forge(
        {"alg": "ES256", "typ": "at+jwt", "kid": "p384"}, claims_for(issuer.url), b"x" * 64
    )
    with pytest.raises(
        InvalidToken, match="the token says alg ES256, but key p384 is an EC P-384 key"
    ):
        validator.validate(forged)


@pytest.mark.parametrize("kid", ["attacker", "es-1"])
def test_keys_named_by_the_token_itself_are_never_used(
    issuer: IssuerState, validator: TokenValidator, kid: str
) -> None:
    """RFC 8725 §3.10 territory: jwk, jku and x5u in the header are ignored; keys come only
    from the issuer's JWK Set, by kid."""
    attacker = SigningKey.generate("ES256", kid=kid)
    header = {
        "jwk": attacker.public_jwk(),
        "jku": f"{issuer.url}/attacker-jwks",
        "x5u": f"{issuer.url}/attacker.pem",
    }
    with pytest.raises(InvalidToken) as caught:
        validator.validate(attacker.sign(claims_for(issuer.url), header=header))
    assert caught.value.description in (
        "the token is signed with key attacker, which the issuer does not publish",
        "the token's signature does not verify with key es-1",
    )
    assert set(issuer.hits) <= {"discovery", "jwks"}


def test_a_token_without_kid_is_refused(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    with pytest.raises(InvalidToken) as caught:
        validator.validate(es_key.sign(claims_for(issuer.url), header={"kid": None}))
    assert caught.value.description == "the token has no kid header naming the key that signed it"


def test_a_tampered_payload_fails_the_signature(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    header, _, signature = es_key.sign(claims_for(issuer.url)).split(".")
    tampered = b64url(json.dumps(claims_for(issuer.url, scope="orders.read orders.write")).encode())
    with pytest.raises(InvalidToken) as caught:
        validator.validate(f"{header}.{tampered}.{signature}")
    assert caught.value.description == "the token's signature does not verify with key es-1"


@pytest.mark.parametrize("alg", ["ES256", "RS256"])
def test_a_token_signed_by_another_key_with_a_known_kid_fails(
    issuer: IssuerState, validator: TokenValidator, alg: str
) -> None:
    impostor = SigningKey.generate(alg, kid="es-1" if alg == "ES256" else "rs-1")
    with pytest.raises(InvalidToken, match="signature does not verify"):
        validator.validate(impostor.sign(claims_for(issuer.url)))


@pytest.mark.parametrize(
    ("extra", "description"),
    [
        ({"crit": ["exp"], "exp": 1}, "the token uses JWS extensions (crit or b64"),
        ({"crit": ["b64"], "b64": False}, "the token uses JWS extensions (crit or b64"),
        ({"b64": True}, "the token uses JWS extensions (crit or b64"),
        ({"b64": False}, "the token is not a well-formed JWS"),  # b64 without crit
    ],
)
def test_jws_extensions_are_refused(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    extra: dict[str, Any],
    description: str,
) -> None:
    """RFC 7515 §4.1.11: a recipient must refuse extensions it does not understand."""
    from joserfc.jws import JWSRegistry  # signed by hand: joserfc refuses to sign these

    header = {"alg": "ES256", "typ": "at+jwt", "kid": es_key.kid, **extra}
    claims = claims_for(issuer.url)
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    signature = JWSRegistry.algorithms["ES256"].sign(signing_input.encode(), es_key.private)
    with pytest.raises(InvalidToken) as caught:
        validator.validate(signing_input + "." + b64url(signature))
    assert caught.value.description.startswith(description)


def _b64(value: Any) -> str:
    return b64url(value if isinstance(value, bytes) else json.dumps(value).encode())


GOOD_HEADER = {"alg": "ES256", "typ": "at+jwt", "kid": "es-1"}
NOT_JWS = "the token is not a JWT: a JWS has three dot-separated parts (RFC 7515 §7.1)"
BAD_JWS = "the token is not a well-formed JWS"

MALFORMED: list[tuple[str, str, str]] = [
    ("empty", "", NOT_JWS),
    ("one part", "abc", NOT_JWS),
    ("two parts", "abc.def", NOT_JWS),
    ("four parts", "a.b.c.d", NOT_JWS),
    ("not ASCII", "é.é.é", "it has characters outside base64url"),
    ("header not base64url", "!!!." + _b64({}) + ".sig", BAD_JWS),
    ("header not JSON", _b64(b"hello") + "." + _b64({}) + ".sig", BAD_JWS),
    ("header a JSON array", _b64([1]) + "." + _b64({}) + ".sig", BAD_JWS),
    ("header without alg", _b64({"typ": "at+jwt"}) + "." + _b64({}) + ".sig", BAD_JWS),
    ("payload not base64url", _b64(GOOD_HEADER) + ".%%%.sig", BAD_JWS),
    ("signature not base64url", _b64(GOOD_HEADER) + "." + _b64({}) + ".%%%", "does not verify"),
    ("alg not a string", _b64({**GOOD_HEADER, "alg": 7}) + "." + _b64({}) + ".s", "alg ? is not"),
    ("alg a list", _b64({**GOOD_HEADER, "alg": ["ES256"]}) + "." + _b64({}) + ".s", "alg ? is not"),
    ("typ a list", _b64({**GOOD_HEADER, "typ": ["at+jwt"]}) + "." + _b64({}) + ".s", "typ is ?"),
    ("kid not a string", _b64({**GOOD_HEADER, "kid": 7}) + "." + _b64({}) + ".s", "no kid header"),
    ("huge header", _b64({**GOOD_HEADER, "x": "a" * 2000}) + "." + _b64({}) + ".s", BAD_JWS),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "description"), [pytest.param(r, d, id=n) for n, r, d in MALFORMED]
)
def test_malformed_tokens(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey, raw: str, description: str
) -> None:
    validator.validate(es_key.sign(claims_for(issuer.url)))  # keys loaded: failures are parsing
    with pytest.raises(InvalidToken) as caught:
        validator.validate(raw)
    assert description in caught.value.description


@pytest.mark.parametrize(
    ("payload", "description"),
    [
        (b"not json", "the token's payload is not JSON"),
        (b"\xff\xfe", "the token's payload is not JSON"),
        (b"[1, 2]", "the token's payload is not a JSON object"),
        (b'{"exp": Infinity}', "the token's payload is not JSON"),
        (b'{"exp": NaN}', "the token's payload is not JSON"),
    ],
)
def test_a_signed_payload_must_be_a_json_object(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    payload: bytes,
    description: str,
) -> None:
    with pytest.raises(InvalidToken) as caught:
        validator.validate(es_key.sign_bytes(payload))
    assert caught.value.description == description


def test_exp_overflowing_to_infinity_is_refused(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    payload = json.dumps(claims_for(issuer.url)).replace('"exp": ', '"exp": 1e400, "x": ').encode()
    with pytest.raises(InvalidToken, match="exp claim is not a NumericDate"):
        validator.validate(es_key.sign_bytes(payload))
