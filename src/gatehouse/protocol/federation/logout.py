"""The upstream's logout (OpenID Connect RP-Initiated Logout 1.0, gatehouse as the relying
party): when a person signs out of a session an upstream signed in, and the upstream's
discovery document names an ``end_session_endpoint``, the browser goes there after
gatehouse's own sign-out, with the upstream's ID token as ``id_token_hint`` and gatehouse's
signed-out page as ``post_logout_redirect_uri`` (which the operator registers upstream).
Where the browser was to go afterwards (the application's post-logout redirect URI, already
validated) waits in a one-time state row named by the ``state`` sent upstream.
"""

from __future__ import annotations

from gatehouse.crypto import random_token, sha256_digest
from gatehouse.protocol.federation.errors import FederationFailed
from gatehouse.protocol.federation.sealed import seal, unseal
from gatehouse.protocol.federation.start import upstream_endpoints
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.redirect_uris import with_query
from gatehouse.storage.federation import FederationState
from gatehouse.storage.records import EndedSession

SIGNED_OUT_PATH = "/logout/federated/done"
# How long the person may take at the upstream's logout page.
LOGOUT_STATE_LIFETIME = 900


def signed_out_uri(provider: Provider) -> str:
    return f"{provider.config.issuer}{SIGNED_OUT_PATH}"


def upstream_logout(
    provider: Provider, ended: list[EndedSession], continue_to: str | None
) -> str | None:
    """Where to send the browser after gatehouse's sign-out ended ``ended``: the end-session
    endpoint of the upstream that signed the session in; None when none did, or the
    upstream has no such endpoint (or its document cannot be had now: the person is signed
    out of gatehouse either way)."""
    now = provider.clock()
    for session in ended:
        federated = provider.federation.session(session.sid, now)
        if federated is None:
            continue
        provider.federation.forget_session(session.sid)
        upstream = provider.upstreams.get(federated.alias)
        sealed = unseal(provider.federation_secrets, federated.id_token, bound_to=session.sid)
        if upstream is None or sealed is None:
            return None
        try:
            endpoints = upstream_endpoints(provider, upstream)
        except FederationFailed:
            return None
        if endpoints.end_session_endpoint is None:
            return None
        state = random_token()
        state_hash = sha256_digest(state)
        payload = seal(
            provider.federation_secrets, {"continue_to": continue_to}, bound_to=state_hash
        )
        provider.federation.create_state(
            FederationState(
                state_hash, "logout", upstream.alias, payload, None, now,
                now + LOGOUT_STATE_LIFETIME,
            )
        )  # fmt: skip
        return with_query(
            endpoints.end_session_endpoint,
            {
                "id_token_hint": str(sealed["id_token"]),
                "post_logout_redirect_uri": signed_out_uri(provider),
                "client_id": upstream.client_id,
                "state": state,
            },
        )
    return None


def back_from_upstream(provider: Provider, state: str | None) -> str | None:
    """The signed-out page, back from the upstream: where the browser was to go after the
    sign-out (spent once), or None to show the page itself."""
    if not state or len(state) > 256:
        return None
    state_hash = sha256_digest(state)
    found = provider.federation.consume_state(state_hash, "logout", provider.clock())
    if found is None:
        return None
    value = unseal(provider.federation_secrets, found.payload, bound_to=state_hash)
    continue_to = value.get("continue_to") if value is not None else None
    return continue_to if isinstance(continue_to, str) else None
