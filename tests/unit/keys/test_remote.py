"""The jwks_uri cache against a real loopback key server: a failing server is not asked again
on every token request."""

from __future__ import annotations

import pytest
from joserfc.jwk import ECKey

from gatehouse import blocking
from gatehouse.keys import remote
from gatehouse.keys.remote import JwksFetchError, RemoteJwksCache
from tests.support.jwks_server import jwks_server


def test_a_failure_is_remembered_for_the_refetch_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = RemoteJwksCache()
    with jwks_server() as server:
        server.mode = "error"
        for _ in range(5):
            with pytest.raises(JwksFetchError, match="HTTP 500"):
                cache.keys_for(server.url, "k1")
        assert server.hits == 1

        # Once the interval has passed, and the server works again, the keys are fetched.
        monkeypatch.setattr(remote, "MIN_REFETCH_SECONDS", 0.0)
        key = ECKey.generate_key("P-256", parameters={"kid": "k1", "alg": "ES256"}, private=True)
        server.document = {"keys": [key.as_dict(private=False)]}
        server.mode = "ok"
        assert cache.keys_for(server.url, "k1") is not None
        assert server.hits == 2


def test_a_download_is_blocking_io_but_cached_keys_are_not() -> None:
    cache = RemoteJwksCache()
    key = ECKey.generate_key("P-256", parameters={"kid": "k1", "alg": "ES256"}, private=True)
    with jwks_server() as server:
        server.document = {"keys": [key.as_dict(private=False)]}
        with blocking.forbidden(), pytest.raises(blocking.WouldBlock):
            cache.keys_for(server.url, "k1")
        assert server.hits == 0
        keys = cache.keys_for(server.url, "k1")
        with blocking.forbidden():
            assert cache.keys_for(server.url, "k1") is keys
        assert server.hits == 1
