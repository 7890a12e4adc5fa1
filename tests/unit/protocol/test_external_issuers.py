"""protocol/external_issuers.py verify_external_token: the contract both the JWT bearer grant
and token exchange rely on. Keys are served by an injected download (no network); the
provider's clock is the test's."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from gatehouse.keys.issuer_keys import IssuerKeys
from gatehouse.protocol.external_issuers import (
    LEEWAY,
    ExternalTokenRejected,
    gatehouse_audiences,
    verify_external_token,
)
from gatehouse.protocol.provider import Provider
from gatehouse.storage.trusted_issuers import TrustedIssuer
from tests.conftest import ISSUER
from tests.support.flow import FakeClock

CI = "https://ci.example.com"
JWKS_URI = f"{CI}/jwks"


@pytest.fixture(scope="module")
def key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": "ci-1"}, private=True)


@pytest.fixture
def trusted(provider: Provider, key: RSAKey) -> TrustedIssuer:
    jwks = {"keys": [dict(key.as_dict(private=False))]}
    fetched: list[str] = []

    def download(uri: str) -> dict[str, Any]:
        fetched.append(uri)
        assert uri == JWKS_URI
        return jwks

    provider.issuer_keys = IssuerKeys(download_jwks=download)
    issuer = TrustedIssuer(CI, "sub", JWKS_URI, None, None, 1, 1)
    provider.trusted_issuers.save(issuer)
    return issuer


def token(key: RSAKey, clock: FakeClock, **overrides: Any) -> str:
    claims: dict[str, Any] = {
        "iss": CI,
        "sub": "workload-1",
        "aud": f"{ISSUER}/token",
        "iat": clock.now,
        "exp": clock.now + 300,
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key, algorithms=["RS256"])


def rejected(provider: Provider, value: str, **kwargs: Any) -> ExternalTokenRejected:
    with pytest.raises(ExternalTokenRejected) as caught:
        verify_external_token(provider, value, **kwargs)
    return caught.value


def test_a_valid_token_gives_the_issuer_the_subject_and_the_claims(
    provider: Provider, trusted: TrustedIssuer, key: RSAKey, clock: FakeClock
) -> None:
    verified = verify_external_token(provider, token(key, clock, repository="octo/shop"))
    assert verified.issuer == provider.trusted_issuers.get(CI)
    assert verified.subject == "workload-1"
    assert verified.claims["repository"] == "octo/shop"


def test_gatehouses_own_identity_is_its_token_endpoint_and_issuer(provider: Provider) -> None:
    assert gatehouse_audiences(provider) == (f"{ISSUER}/token", ISSUER)


def test_the_audience_argument_replaces_the_default(
    provider: Provider, trusted: TrustedIssuer, key: RSAKey, clock: FakeClock
) -> None:
    mine = token(key, clock, aud="urn:exchange")
    assert verify_external_token(provider, mine, audience="urn:exchange").subject == "workload-1"
    assert rejected(provider, mine).reason == "audience"
    assert rejected(provider, token(key, clock), audience="urn:exchange").reason == "audience"


def test_the_issuers_audience_replaces_the_default(
    provider: Provider, trusted: TrustedIssuer, key: RSAKey, clock: FakeClock
) -> None:
    provider.trusted_issuers.save(TrustedIssuer(CI, "sub", JWKS_URI, None, "api://gh", 1, 1))
    assert rejected(provider, token(key, clock)).reason == "audience"
    assert verify_external_token(provider, token(key, clock, aud="api://gh")).subject


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({"exp": "now-leeway+1"}, True),
        ({"exp": "now-leeway"}, False),
        ({"nbf": "now+leeway"}, True),
        ({"nbf": "now+leeway+1"}, False),
        ({"iat": "now+leeway"}, True),
        ({"iat": "now+leeway+1"}, False),
        ({"exp": 1.5e12}, True),  # no ceiling: the issuer decides its tokens' lifetime
    ],
)
def test_the_leeway_on_times(
    provider: Provider,
    trusted: TrustedIssuer,
    key: RSAKey,
    clock: FakeClock,
    claims: dict[str, Any],
    accepted: bool,
) -> None:
    offsets = {
        "now-leeway+1": -LEEWAY + 1,
        "now-leeway": -LEEWAY,
        "now+leeway": LEEWAY,
        "now+leeway+1": LEEWAY + 1,
    }
    values = {k: clock.now + offsets[v] if isinstance(v, str) else v for k, v in claims.items()}
    value = token(key, clock, **values)
    if accepted:
        assert verify_external_token(provider, value).subject == "workload-1"
    else:
        assert rejected(provider, value).reason in ("expired", "not_yet_valid", "issued_in_future")


@pytest.mark.parametrize("subject", [None, 42, "", "x" * 1025])
def test_the_subject_claim_must_hold_a_string(
    provider: Provider, trusted: TrustedIssuer, key: RSAKey, clock: FakeClock, subject: Any
) -> None:
    # None leaves the claim out.
    assert rejected(provider, token(key, clock, sub=subject)).reason == "subject_missing"


@pytest.mark.parametrize("iss", [None, 7, "", CI + "/", CI.upper()])
def test_the_issuer_must_be_trusted_exactly(
    provider: Provider, trusted: TrustedIssuer, key: RSAKey, clock: FakeClock, iss: Any
) -> None:
    error = rejected(provider, token(key, clock, iss=iss))
    assert error.reason in ("malformed", "untrusted_issuer") and error.issuer is None


def test_a_refusal_names_the_issuer_once_it_is_known(
    provider: Provider, trusted: TrustedIssuer, key: RSAKey, clock: FakeClock
) -> None:
    error = rejected(provider, token(key, clock, exp=clock.now - 3600))
    assert (error.reason, error.issuer) == ("expired", CI)
    assert "expired" in error.description
