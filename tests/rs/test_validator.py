"""TokenValidator end to end against the real test issuer: valid tokens, and each claim rule
of RFC 9068 §4 / RFC 7519 §4.1 with a case that fails without it."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from gatehouse.rs import InvalidToken, TokenValidator
from tests.rs.conftest import MakeValidator
from tests.rs.issuer import AUDIENCE, NOW, FakeClock, IssuerState, SigningKey, claims_for


@pytest.mark.parametrize("key_name", ["es_key", "rs_key"])
def test_a_valid_token_gives_its_claims(
    request: pytest.FixtureRequest, issuer: IssuerState, validator: TokenValidator, key_name: str
) -> None:
    key: SigningKey = request.getfixturevalue(key_name)
    raw = key.sign(claims_for(issuer.url, jti="abc", roles=["Orders.ReadAll"]))

    token = validator.validate(raw)

    assert token.issuer == issuer.url
    assert token.subject == "user-123"
    assert token.client_id == "web-app"
    assert token.audience == (AUDIENCE,)
    assert token.scopes == {"openid", "orders.read"}
    assert token.roles == {"Orders.ReadAll"}
    assert token.jti == "abc"
    assert (token.issued_at, token.expires_at) == (NOW, NOW + 300)
    assert (token.auth_time, token.sid) == (NOW - 60, "session-1")
    assert token.claims["client_id"] == "web-app"


def test_the_async_front_gives_the_same_result(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    raw = es_key.sign(claims_for(issuer.url))

    async def both() -> tuple[Any, Any]:
        async with validator:
            return (await validator.validate_async(raw)).claims, validator.validate(raw).claims

    async_claims, sync_claims = asyncio.run(both())
    assert dict(async_claims) == dict(sync_claims)
    # One discovery and one JWK Set fetch, shared by both fronts.
    assert (issuer.hits["discovery"], issuer.hits["jwks"]) == (1, 1)


def test_keys_are_fetched_once_and_reused(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    for _ in range(5):
        validator.validate(es_key.sign(claims_for(issuer.url)))
    assert (issuer.hits["discovery"], issuer.hits["jwks"]) == (1, 1)


def test_an_audience_list_containing_this_api_is_accepted(
    issuer: IssuerState, validator: TokenValidator, es_key: SigningKey
) -> None:
    raw = es_key.sign(claims_for(issuer.url, aud=["https://billing.example.com", AUDIENCE]))
    assert validator.validate(raw).audience == ("https://billing.example.com", AUDIENCE)


def test_an_api_with_several_identifiers_accepts_any(
    issuer: IssuerState, make_validator: MakeValidator, es_key: SigningKey
) -> None:
    validator = make_validator(audience=["api://orders", AUDIENCE])
    assert validator.validate(es_key.sign(claims_for(issuer.url, aud="api://orders")))
    assert validator.audience == "api://orders"


ISSUER = "{issuer}"  # replaced by the test issuer's URL
BILLING = "https://billing.example.com"
NOT_A_DATE = "the token's {} claim is not a NumericDate"
NOT_AUD = "the token's aud claim is neither a string nor a list of strings"
NO_CLAIM = "the token has no {} claim (RFC 9068 §2.2)"
NOT_ROLES = "the token's roles claim is not a list of strings"

CLAIM_CASES: list[tuple[str, dict[str, Any], str]] = [
    ("other iss", {"iss": "http://x"}, "the token was issued by http://x, not {issuer}"),
    ("iss + slash", {"iss": "{issuer}/"}, "the token was issued by {issuer}/, not {issuer}"),
    ("no iss", {"iss": None}, "the token has no iss claim"),
    ("wrong aud", {"aud": BILLING}, f"the token is for audience {BILLING}, not {AUDIENCE}"),
    ("aud list without us", {"aud": ["a", "b"]}, f"the token is for audience a, b, not {AUDIENCE}"),
    ("empty aud list", {"aud": []}, f"the token is for audience (an empty list), not {AUDIENCE}"),
    ("no aud", {"aud": None}, "the token has no aud claim"),
    ("aud a number", {"aud": 7}, NOT_AUD),
    ("aud list with a number", {"aud": [AUDIENCE, 7]}, NOT_AUD),
    ("expired", {"exp": int(NOW) - 31}, "the token expired at 2025-06-15T15:06:09Z"),
    ("no exp", {"exp": None}, "the token has no exp claim"),
    ("exp a string", {"exp": str(int(NOW) + 300)}, NOT_A_DATE.format("exp")),
    ("exp a boolean", {"exp": True}, NOT_A_DATE.format("exp")),
    ("exp absurdly large", {"exp": 10**20}, NOT_A_DATE.format("exp")),
    ("nbf to come", {"nbf": int(NOW) + 31}, "the token is not valid before 2025-06-15T15:07:11Z"),
    ("nbf a string", {"nbf": "soon"}, NOT_A_DATE.format("nbf")),
    ("iat in the future", {"iat": int(NOW) + 31},
     "the token claims to be issued in the future, at 2025-06-15T15:07:11Z"),
    ("no iat", {"iat": None}, "the token has no iat claim"),
    ("no sub", {"sub": None}, NO_CLAIM.format("sub")),
    ("empty sub", {"sub": ""}, NO_CLAIM.format("sub")),
    ("no client_id", {"client_id": None}, NO_CLAIM.format("client_id")),
    ("no jti", {"jti": None}, NO_CLAIM.format("jti")),
    ("scope a list", {"scope": ["a"]}, "the token's scope claim is not a space-separated string"),
    ("roles a string", {"roles": "Orders.ReadAll"}, NOT_ROLES),
    ("roles with a number", {"roles": ["a", 1]}, NOT_ROLES),
    ("auth_time a string", {"auth_time": "yesterday"}, NOT_A_DATE.format("auth_time")),
    ("sid a number", {"sid": 5}, "the token's sid claim is not a string"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "description"),
    [pytest.param(o, d, id=name) for name, o, d in CLAIM_CASES],
)
def test_claim_rules(
    issuer: IssuerState,
    validator: TokenValidator,
    es_key: SigningKey,
    overrides: dict[str, Any],
    description: str,
) -> None:
    overrides = {
        k: v.replace(ISSUER, issuer.url) if isinstance(v, str) else v for k, v in overrides.items()
    }
    raw = es_key.sign(claims_for(issuer.url, **overrides))
    with pytest.raises(InvalidToken) as caught:
        validator.validate(raw)
    assert caught.value.description == description.replace(ISSUER, issuer.url)
    assert (caught.value.error, caught.value.status_code) == ("invalid_token", 401)


LEEWAY_CASES: list[tuple[str, float, dict[str, Any], float, bool]] = [
    # name, leeway, claims, seconds after NOW, valid?
    ("exp + leeway - 1 ms", 30, {"exp": int(NOW)}, 29.999, True),
    ("exp + leeway", 30, {"exp": int(NOW)}, 30, False),
    ("exp without leeway", 0, {"exp": int(NOW)}, 0, False),
    ("just before exp without leeway", 0, {"exp": int(NOW), "iat": int(NOW) - 9}, -0.001, True),
    ("nbf - leeway", 30, {"nbf": int(NOW) + 30}, 0, True),
    ("nbf - leeway - 1 ms", 30, {"nbf": int(NOW) + 30}, -0.001, False),
    ("nbf exactly now, no leeway", 0, {"nbf": int(NOW)}, 0, True),
    ("iat = now + leeway", 30, {"iat": int(NOW) + 30}, 0, True),
    ("iat = now + leeway + 1 ms", 30, {"iat": int(NOW) + 30}, -0.001, False),
    ("a larger leeway", 120, {"exp": int(NOW) - 100}, 0, True),
]


@pytest.mark.parametrize(
    ("leeway", "overrides", "offset", "valid"),
    [pytest.param(lw, o, off, ok, id=name) for name, lw, o, off, ok in LEEWAY_CASES],
)
def test_leeway_edges(
    issuer: IssuerState,
    make_validator: MakeValidator,
    clock: FakeClock,
    es_key: SigningKey,
    leeway: float,
    overrides: dict[str, Any],
    offset: float,
    valid: bool,
) -> None:
    validator = make_validator(leeway=leeway)
    raw = es_key.sign(claims_for(issuer.url, **overrides))
    validator.validate(es_key.sign(claims_for(issuer.url)))  # load keys at NOW
    clock.advance(offset)
    if valid:
        validator.validate(raw)
    else:
        with pytest.raises(InvalidToken):
            validator.validate(raw)


def test_leeway_accepts_a_timedelta(
    issuer: IssuerState, make_validator: MakeValidator, es_key: SigningKey
) -> None:
    validator = make_validator(leeway=timedelta(minutes=1))
    validator.validate(es_key.sign(claims_for(issuer.url, exp=int(NOW) - 59)))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"leeway": 301}, "leeway must be between 0 and 300 seconds"),
        ({"leeway": -1}, "leeway must be between 0 and 300 seconds"),
        ({"audience": ""}, "audience must be one or more non-empty strings"),
        ({"audience": []}, "audience must be one or more non-empty strings"),
        ({"issuer": "id.example.com"}, "issuer must be an absolute http(s) URL"),
        ({"algorithms": ()}, "at least one algorithm must be allowed"),
        ({"algorithms": ("ES256", "HS256")}, "algorithm 'HS256' is not allowed"),
        ({"algorithms": ("none",)}, "algorithm 'none' is not allowed"),
    ],
)
def test_unsafe_configuration_is_refused(
    make_validator: MakeValidator, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_validator(**options)
