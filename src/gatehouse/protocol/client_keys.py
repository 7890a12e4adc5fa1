"""A client's own keys, for checking what the client signs: the public keys it registered
(a JWK Set by value, or at its jwks_uri) and, for HMAC, the secrets kept encrypted for it.
Client assertions (client_assertion.py) and request objects (request_object.py) both verify
with them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from gatehouse.keys.jose import PublicKeySet, public_keyset
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import Client

# jwks_uri → keys; injected so tests and the server share one cache per process.
RemoteKeys = Callable[[str, str | None], PublicKeySet]


def registered_public_keys(
    client: Client, kid: str | None, remote_keys: RemoteKeys
) -> PublicKeySet | None:
    """The client's public keys, or None when it registered none. Raises
    ``keys.remote.JwksFetchError`` when its jwks_uri cannot be read, and
    ``TokenVerificationError`` when its JWK Set cannot be parsed."""
    if client.jwks is not None:
        return public_keyset(client.jwks)
    if client.jwks_uri is not None:
        return remote_keys(client.jwks_uri, kid)
    return None


def hmac_secrets(provider: Provider, client: Client) -> Iterator[str]:
    """The client's current secrets that are kept encrypted (only a client_secret_jwt
    client's are: every other secret exists only as a SHA-256 digest, which cannot key an
    HMAC). A secret that does not decrypt is skipped."""
    from gatehouse.keys.encryption import KeyDecryptionError

    now = provider.clock()
    for _secret_id, encrypted in provider.clients.encrypted_secrets(client.client_id, now):
        try:
            secret = provider.keys.encryptor.decrypt(
                encrypted, kid=f"client-secret:{client.client_id}"
            )
        except KeyDecryptionError:
            continue
        yield secret.decode("utf-8")
