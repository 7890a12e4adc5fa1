""" "Sign in with ...": the browser is sent to the upstream's authorization endpoint (OpenID
Connect Core 1.0 §3.1.2.1) with the authorization code flow and PKCE S256 (RFC 7636), a
``state`` and a ``nonce`` that are random, fresh for this request and bound to it: the
state row (one-time, living as long as the paused request) keeps the paused request's id,
the PKCE verifier and the nonce, sealed, and the hash of the browser's binding cookie, so
only the browser that pressed the button can finish the sign-in, once (RFC 9700 §4.7).
"""

from __future__ import annotations

import base64
import hashlib

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.keys.discovery import UpstreamEndpoints
from gatehouse.keys.remote import JwksFetchError
from gatehouse.protocol.federation.errors import FederationFailed
from gatehouse.protocol.federation.sealed import seal
from gatehouse.protocol.interaction import load_interaction
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.redirect_uris import with_query
from gatehouse.storage.federation import FederationState, UpstreamProvider

CALLBACK_PATH = "/login/federated/callback"


def callback_uri(provider: Provider) -> str:
    """The one redirect URI gatehouse registers at every upstream of this tenant."""
    return f"{provider.config.issuer}{CALLBACK_PATH}"


def upstream_named(provider: Provider, alias: str | None) -> UpstreamProvider:
    upstream = provider.upstreams.get(alias) if alias else None
    if upstream is None:
        raise FederationFailed("unknown_upstream", "no such identity provider is configured here")
    return upstream


def upstream_endpoints(provider: Provider, upstream: UpstreamProvider) -> UpstreamEndpoints:
    """The upstream's endpoints from its discovery document (keys/discovery.py, cached)."""
    try:
        return provider.upstream_metadata.endpoints(upstream.discovery_url)
    except JwksFetchError as exc:
        raise FederationFailed("discovery", str(exc), alias=upstream.alias) from None


def start_federated_sign_in(
    provider: Provider, interaction_id: str | None, binding: str, alias: str | None
) -> str:
    """Where to send the browser: the upstream's authorization endpoint, with this paused
    request's state, nonce and code challenge."""
    paused = load_interaction(provider, interaction_id, binding)
    upstream = upstream_named(provider, alias)
    endpoints = upstream_endpoints(provider, upstream)
    state, nonce, verifier = random_token(), random_token(), random_token(48)
    state_hash, now = sha256_digest(state), provider.clock()
    secrets = {"interaction_id": paused.interaction_id, "verifier": verifier, "nonce": nonce}
    provider.federation.create_state(
        FederationState(
            state_hash=state_hash,
            purpose="signin",
            alias=upstream.alias,
            payload=seal(provider.federation_secrets, secrets, bound_to=state_hash),
            browser_hash=binding,
            created_at=now,
            expires_at=paused.interaction.expires_at,
        )
    )
    return with_query(
        endpoints.authorization_endpoint,
        {
            "response_type": "code",
            "client_id": upstream.client_id,
            "redirect_uri": callback_uri(provider),
            "scope": " ".join(upstream.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": _s256(verifier),
            "code_challenge_method": "S256",
        },
    )


def _s256(verifier: str) -> str:
    """RFC 7636 §4.2: BASE64URL(SHA256(ASCII(code_verifier)))."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
