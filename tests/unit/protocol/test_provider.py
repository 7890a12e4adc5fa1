"""protocol.provider: the configuration's derived values."""

from __future__ import annotations

from gatehouse.protocol.provider import ProviderConfig


def test_userinfo_is_the_default_audience() -> None:
    config = ProviderConfig(issuer="https://id.example.com")
    assert config.userinfo_endpoint == "https://id.example.com/userinfo"
    assert config.default_audience == config.userinfo_endpoint


def test_secure_defaults() -> None:
    config = ProviderConfig(issuer="https://id.example.com")
    assert config.authorization_code_lifetime <= 60  # RFC 9700 §4.2.1
    assert (config.access_token_signing_alg, config.id_token_signing_alg) == ("ES256", "RS256")
