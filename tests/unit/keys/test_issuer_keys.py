"""keys/issuer_keys.py: an issuer's keys by its jwks_uri or its discovery document, whose
issuer must be the one configured; both cached, a failure remembered briefly."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc.jwk import ECKey

from gatehouse.keys.issuer_keys import IssuerKeys
from gatehouse.keys.remote import JwksFetchError

CI = "https://ci.example.com"
DISCOVERY = f"{CI}/.well-known/openid-configuration"
JWKS_URI = f"{CI}/keys"


class Server:
    def __init__(self, discovery: dict[str, Any] | JwksFetchError) -> None:
        key = ECKey.generate_key("P-256", parameters={"kid": "k1"}, private=True)
        self.jwks = {"keys": [dict(key.as_dict(private=False))]}
        self.discovery = discovery
        self.fetched: list[str] = []

    def download_jwks(self, uri: str) -> dict[str, Any]:
        self.fetched.append(uri)
        return self.jwks

    def download_discovery(self, uri: str) -> dict[str, Any]:
        self.fetched.append(uri)
        if isinstance(self.discovery, Exception):
            raise self.discovery
        return self.discovery

    def keys(self) -> IssuerKeys:
        return IssuerKeys(self.download_jwks, self.download_discovery)


def test_the_discovery_document_names_the_jwks_uri_and_both_are_cached() -> None:
    server = Server({"issuer": CI, "jwks_uri": JWKS_URI})
    keys = server.keys()
    for _ in range(2):
        found = keys.keys_for(CI, jwks_uri=None, discovery_url=DISCOVERY, kid="k1")
        assert [k.kid for k in found.keys] == ["k1"]
    assert server.fetched == [DISCOVERY, JWKS_URI]


def test_a_jwks_uri_needs_no_discovery() -> None:
    server = Server({})
    server.keys().keys_for(CI, jwks_uri=JWKS_URI, discovery_url=None, kid=None)
    assert server.fetched == [JWKS_URI]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"issuer": CI + "/", "jwks_uri": JWKS_URI}, f"names '{CI}/', not '{CI}'"),
        ({"jwks_uri": JWKS_URI}, "names no issuer"),
        ({"issuer": CI}, "has no jwks_uri"),
        ({"issuer": CI, "jwks_uri": "http://ci.example.com/keys"}, "is not an https URL"),
    ],
)
def test_a_discovery_document_that_does_not_fit_is_refused(
    document: dict[str, Any], message: str
) -> None:
    server = Server(document)
    with pytest.raises(JwksFetchError, match=message):
        server.keys().keys_for(CI, jwks_uri=None, discovery_url=DISCOVERY, kid=None)
    assert server.fetched == [DISCOVERY]


def test_a_failure_is_remembered_for_a_moment() -> None:
    server = Server({"issuer": "https://elsewhere.example", "jwks_uri": JWKS_URI})
    keys = server.keys()
    for _ in range(3):
        with pytest.raises(JwksFetchError):
            keys.keys_for(CI, jwks_uri=None, discovery_url=DISCOVERY, kid=None)
    assert server.fetched == [DISCOVERY]


def test_a_download_failure_is_passed_on() -> None:
    server = Server(JwksFetchError("the issuer's discovery document answered HTTP 500"))
    with pytest.raises(JwksFetchError, match="HTTP 500"):
        server.keys().keys_for(CI, jwks_uri=None, discovery_url=DISCOVERY, kid=None)
