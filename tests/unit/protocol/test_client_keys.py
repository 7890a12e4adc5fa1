"""protocol.client_keys: a client's public keys come from its JWK Set or its jwks_uri (none
when it registered neither); HMAC secrets exist only for client_secret_jwt clients."""

from __future__ import annotations

from joserfc.jwk import KeySet, RSAKey

from gatehouse.protocol.client_keys import hmac_secrets, registered_public_keys
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from tests.support.request_objects import public_jwks
from tests.unit.protocol.conftest import Registered, register

KEY = RSAKey.generate_key(2048, parameters={"kid": "k"}, private=True)


def test_keys_by_value_by_uri_or_none(runtime: Runtime, web: Registered) -> None:
    fetched: list[tuple[str, str | None]] = []

    def remote(uri: str, kid: str | None) -> KeySet:
        fetched.append((uri, kid))
        return KeySet([KEY])

    by_value = register(runtime, "v", jwks=public_jwks(KEY), request_object_signing_alg="RS256")
    keys = registered_public_keys(by_value.client, "k", remote)
    assert keys is not None and [k.kid for k in keys.keys] == ["k"]
    by_uri = register(
        runtime, "u", jwks_uri="https://u.example/jwks", request_object_signing_alg="RS256"
    )
    assert registered_public_keys(by_uri.client, "k", remote) is not None
    assert fetched == [("https://u.example/jwks", "k")]
    assert registered_public_keys(web.client, None, remote) is None


def test_only_a_client_secret_jwt_client_has_hmac_secrets(
    provider: Provider, runtime: Runtime, web: Registered
) -> None:
    jwt_client = register(runtime, "j", auth_method="client_secret_jwt")
    assert list(hmac_secrets(provider, jwt_client.client)) == [jwt_client.secret]
    assert list(hmac_secrets(provider, web.client)) == []  # stored only as a digest
