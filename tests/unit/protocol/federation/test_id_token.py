"""The upstream's ID token (protocol/federation/id_token.py): every rule of OIDC Core
§3.1.3.7 that gatehouse applies, each broken once, with tokens signed by a real key whose
JWK Set is served on loopback (tests/support/external_issuer.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey

from gatehouse.keys.discovery import UpstreamEndpoints
from gatehouse.protocol.federation.errors import FederationFailed
from gatehouse.protocol.federation.id_token import verified_claims
from gatehouse.protocol.provider import Provider
from tests.support.external_issuer import ExternalIssuer, external_issuer
from tests.support.flow import FakeClock

CLIENT_ID = "gatehouse-downstream"
NONCE = "n-0S6_WzA2Mj"


@pytest.fixture
def upstream() -> Iterator[ExternalIssuer]:
    with external_issuer() as issuer:
        yield issuer


def endpoints(issuer: ExternalIssuer) -> UpstreamEndpoints:
    return UpstreamEndpoints(
        issuer=issuer.issuer,
        authorization_endpoint=f"{issuer.issuer}/authorize",
        token_endpoint=f"{issuer.issuer}/token",
        jwks_uri=issuer.jwks_uri,
        end_session_endpoint=None,
        userinfo_endpoint=None,
        token_auth_methods=("client_secret_basic",),
    )


def id_token(issuer: ExternalIssuer, clock: FakeClock, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "sub": "248289761001",
        "aud": CLIENT_ID,
        "nonce": NONCE,
        "iat": clock.now,
        "exp": clock.now + 300,
        "nbf": None,
        "jti": None,
        "repository": None,
        "ref": None,
    }
    claims.update(overrides)
    return issuer.token(**claims)


def check(provider: Provider, issuer: ExternalIssuer, token: str) -> dict[str, Any]:
    return verified_claims(
        provider, endpoints(issuer), token, client_id=CLIENT_ID, nonce=NONCE, alias="corp"
    )


def test_a_good_id_token_gives_its_claims(
    provider: Provider, clock: FakeClock, upstream: ExternalIssuer
) -> None:
    claims = check(provider, upstream, id_token(upstream, clock))
    assert claims["sub"] == "248289761001"


def test_an_es256_id_token_is_accepted(provider: Provider, clock: FakeClock) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "ec-1"}, private=True)
    with external_issuer(key) as upstream:
        assert check(provider, upstream, id_token(upstream, clock))["sub"]


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"iss": "https://evil.example"}, "issuer"),
        ({"aud": "another-client"}, "audience"),
        ({"aud": ["another-client"]}, "audience"),
        ({"aud": [CLIENT_ID, "another-client"]}, "audience"),  # several, no azp
        ({"aud": [CLIENT_ID, "another-client"], "azp": "another-client"}, "audience"),
        ({"nonce": "another-sign-in"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"sub": None}, "id_token"),
        ({"sub": ""}, "id_token"),
        ({"sub": "x" * 256}, "id_token"),
        ({"exp": None}, "id_token"),
        ({"iat": "yesterday"}, "id_token"),
    ],
)
def test_a_broken_rule_refuses_the_token(
    provider: Provider,
    clock: FakeClock,
    upstream: ExternalIssuer,
    overrides: dict[str, Any],
    reason: str,
) -> None:
    with pytest.raises(FederationFailed) as refused:
        check(provider, upstream, id_token(upstream, clock, **overrides))
    assert refused.value.reason == reason
    assert refused.value.alias == "corp"


def test_several_audiences_with_our_azp_are_accepted(
    provider: Provider, clock: FakeClock, upstream: ExternalIssuer
) -> None:
    token = id_token(upstream, clock, aud=[CLIENT_ID, "another"], azp=CLIENT_ID)
    assert check(provider, upstream, token)["azp"] == CLIENT_ID


def test_an_expired_id_token_is_refused(
    provider: Provider, clock: FakeClock, upstream: ExternalIssuer
) -> None:
    token = id_token(upstream, clock)
    clock.advance(300 + 61)
    with pytest.raises(FederationFailed) as refused:
        check(provider, upstream, token)
    assert refused.value.reason == "expired"


def test_an_id_token_from_the_future_is_refused(
    provider: Provider, clock: FakeClock, upstream: ExternalIssuer
) -> None:
    with pytest.raises(FederationFailed) as refused:
        check(provider, upstream, id_token(upstream, clock, iat=clock.now + 120))
    assert refused.value.reason == "expired"


@pytest.mark.parametrize("alg", ["none", "HS256"])
def test_unpinned_algorithms_are_refused(
    provider: Provider, clock: FakeClock, upstream: ExternalIssuer, alg: str
) -> None:
    token = upstream.forged(alg, aud=CLIENT_ID, nonce=NONCE, iat=clock.now, exp=clock.now + 60)
    with pytest.raises(FederationFailed) as refused:
        check(provider, upstream, token)
    assert refused.value.reason == "id_token"


def test_a_key_the_upstream_does_not_publish_is_refused(
    provider: Provider, clock: FakeClock, upstream: ExternalIssuer
) -> None:
    stranger = RSAKey.generate_key(2048, parameters={"kid": "ci-1"}, private=True)
    with pytest.raises(FederationFailed) as refused:
        check(provider, upstream, upstream.token(stranger, **_good(clock)))
    assert refused.value.reason == "id_token"


def _good(clock: FakeClock) -> dict[str, Any]:
    return {"aud": CLIENT_ID, "nonce": NONCE, "iat": clock.now, "exp": clock.now + 300,
            "sub": "248289761001"}  # fmt: skip
