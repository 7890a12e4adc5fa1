"""protocol.par: a push authenticates the client, validates the request as /authorize does,
and stores its parameters (not the client's credentials) under a one-time request_uri."""

from __future__ import annotations

import pytest
from joserfc.jwk import RSAKey

from gatehouse.crypto import sha256_digest
from gatehouse.errors import InvalidClient, InvalidRequest, InvalidScope
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.par import push_authorization_request
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.request_parameters import REQUEST_URI_PREFIX
from gatehouse.runtime import Runtime
from tests.support.factories import REDIRECT_URI
from tests.support.flow import FakeClock
from tests.support.request_objects import object_claims, public_jwks, sign
from tests.unit.protocol.conftest import Registered, register

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
REQUEST = {
    "response_type": "code",
    "redirect_uri": REDIRECT_URI,
    "scope": "openid",
    "code_challenge": CHALLENGE,
    "code_challenge_method": "S256",
}


def test_a_push_stores_the_request_without_the_credentials(
    provider: Provider, runtime: Runtime, clock: FakeClock
) -> None:
    post = register(runtime, "web", auth_method="client_secret_post")
    params = Parameters({**REQUEST, "client_id": "web", "client_secret": str(post.secret)})
    pushed = push_authorization_request(provider, params, None, "192.0.2.1")
    assert pushed.request_uri.startswith(REQUEST_URI_PREFIX)
    assert pushed.expires_in == provider.config.pushed_request_lifetime == 60
    stored = provider.pushed_requests.get(sha256_digest(pushed.request_uri))
    assert stored is not None
    assert stored.client_id == "web"
    assert stored.parameters == {**{k: [v] for k, v in REQUEST.items()}, "client_id": ["web"]}
    assert stored.expires_at == clock.now + 60


def test_client_id_is_the_authenticated_clients(
    provider: Provider, web: Registered, clock: FakeClock
) -> None:
    pushed = push_authorization_request(provider, Parameters(REQUEST), web.basic, None)
    stored = provider.pushed_requests.get(sha256_digest(pushed.request_uri))
    assert stored is not None and stored.parameters["client_id"] == ["web"]


def test_a_request_object_is_pushed_as_its_parameters(
    provider: Provider, runtime: Runtime, clock: FakeClock
) -> None:
    key = RSAKey.generate_key(2048, private=True)
    signer = register(runtime, "signer", jwks=public_jwks(key), request_object_signing_alg="RS256")
    request = sign(object_claims("signer", **REQUEST, state="s-1"), key, "RS256")
    params = Parameters({"request": request, "scope": "openid email"})
    pushed = push_authorization_request(provider, params, signer.basic, None)
    stored = provider.pushed_requests.get(sha256_digest(pushed.request_uri))
    assert stored is not None
    assert stored.parameters["scope"] == ["openid"]  # the object's, not the body's
    assert stored.parameters["state"] == ["s-1"]
    assert "request" not in stored.parameters


@pytest.mark.parametrize(
    ("extra", "error", "fragment"),
    [
        ({"request_uri": REQUEST_URI_PREFIX + "x"}, InvalidRequest, "not allowed"),
        ({"redirect_uri": "https://evil.example/"}, InvalidRequest, "not registered"),
        ({"scope": "openid nonsense"}, InvalidScope, "nonsense"),
    ],
)
def test_refused_pushes_store_nothing(
    provider: Provider,
    runtime: Runtime,
    web: Registered,
    extra: dict[str, str],
    error: type[Exception],
    fragment: str,
) -> None:
    with pytest.raises(error, match=fragment) as caught:
        push_authorization_request(provider, Parameters({**REQUEST, **extra}), web.basic, None)
    assert getattr(caught.value, "redirect", None) is None  # answered at /par, as JSON
    with runtime.database.read() as conn:
        assert (
            conn.exec_driver_sql("SELECT count(*) FROM pushed_authorization_requests").scalar() == 0
        )


def test_a_push_needs_the_clients_credentials(provider: Provider, web: Registered) -> None:
    with pytest.raises(InvalidClient):
        push_authorization_request(
            provider, Parameters({**REQUEST, "client_id": "web"}), None, None
        )
