"""Signing in through an upstream identity provider (docs/federation.md): the callback
(GET /login/federated/callback) and what the pages call around it. The steps, in order:

1. the ``state`` names a one-time state row of this browser (spent here, whatever follows:
   a replayed or forged callback finds nothing);
2. the paused request it was started for is still there, for this browser;
3. the upstream did not answer with an error (RFC 6749 §4.1.2.1);
4. the code is exchanged for the upstream's ID token (federation/code_exchange.py), which
   is checked before its subject is trusted (federation/id_token.py); its UserInfo, for
   the same subject, completes the claims;
5. the subject is a local account: linked before, created now, or an existing account
   the person must prove first (federation/accounts.py);
6. then the sign-in goes on as a local one (protocol/sign_in_flow.py ``first_factor_done``:
   a second factor where one is needed, the SSO session, consent, tokens), with amr
   ``fed``; federation/pending.py finishes the link and remembers the upstream session
   when the session starts.

Every failure is a ``FederationFailed``, recorded as ``federation.failed``; nothing is
signed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from gatehouse.accounts.sessions import device_of
from gatehouse.crypto import constant_time_equals, sha256_digest
from gatehouse.protocol.federation.accounts import local_account
from gatehouse.protocol.federation.code_exchange import exchange_code, userinfo_claims
from gatehouse.protocol.federation.errors import FederationFailed
from gatehouse.protocol.federation.id_token import verified_claims
from gatehouse.protocol.federation.pending import Pending, leave_pending
from gatehouse.protocol.federation.sealed import unseal
from gatehouse.protocol.federation.start import (
    callback_uri,
    start_federated_sign_in,
    upstream_endpoints,
    upstream_named,
)
from gatehouse.protocol.interaction import PausedRequest, load_interaction
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.sign_in_flow import SignedIn, SignInChoices, first_factor_done
from gatehouse.protocol.signin import Source
from gatehouse.storage.records import AuditEvent

# RFC 8176 has no value for "signed in by another identity provider"; "fed" is what Entra
# ID puts in amr for it. It is no factor kind of accounts/assurance.py: alone it reaches
# the one-factor acr, whatever the upstream's own acr said.
FEDERATED_AMR = "fed"
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")
_STARTED_ELSEWHERE = (
    "this sign-in through another identity provider has expired, was already used, or was "
    "started in another browser; go back to the application and start again"
)


@dataclass(frozen=True)
class LinkNeeded:
    """The upstream's account has the verified email of an existing account here: the
    person must sign in to it (``user_login``) in this paused request before the two are
    linked."""

    interaction_id: str
    alias: str


def federated_callback(
    provider: Provider,
    params: Mapping[str, str],
    binding: str,
    session_cookie: str | None,
    source: Source,
    user_agent: str | None,
) -> SignedIn | LinkNeeded:
    """GET /login/federated/callback (the module docstring); FederationFailed, recorded."""
    try:
        return _callback(provider, params, binding, session_cookie, source, user_agent)
    except FederationFailed as failure:
        record_failure(provider, failure, source.address)
        raise


def _callback(
    provider: Provider,
    params: Mapping[str, str],
    binding: str,
    session_cookie: str | None,
    source: Source,
    user_agent: str | None,
) -> SignedIn | LinkNeeded:
    state = params.get("state") or ""
    state_hash, now = sha256_digest(state), provider.clock()
    found = provider.federation.consume_state(state_hash, "signin", now) if state else None
    if found is None or not constant_time_equals(found.browser_hash or "", binding):
        raise FederationFailed("state", _STARTED_ELSEWHERE)
    sealed = unseal(provider.federation_secrets, found.payload, bound_to=state_hash)
    if sealed is None:
        raise FederationFailed("state", _STARTED_ELSEWHERE, alias=found.alias)
    interaction_id = str(sealed["interaction_id"])
    try:
        paused = load_interaction(provider, interaction_id, binding)
        return _signed_in(provider, paused, found.alias, params, sealed, session_cookie,
                          binding, source, user_agent)  # fmt: skip
    except FederationFailed as failure:
        failure.alias = failure.alias or found.alias
        failure.interaction_id = interaction_id
        raise


def _signed_in(
    provider: Provider,
    paused: PausedRequest,
    alias: str,
    params: Mapping[str, str],
    sealed: Mapping[str, object],
    session_cookie: str | None,
    binding: str,
    source: Source,
    user_agent: str | None,
) -> SignedIn | LinkNeeded:
    upstream = upstream_named(provider, alias)
    _no_upstream_error(upstream.display_name, params)
    code = params.get("code")
    if not code:
        raise FederationFailed("upstream_error", f"{upstream.display_name} sent no code back")
    endpoints = upstream_endpoints(provider, upstream)
    tokens = exchange_code(
        provider.federation_secrets, upstream, endpoints,
        code=code, verifier=str(sealed["verifier"]), redirect_uri=callback_uri(provider),
    )  # fmt: skip
    verified = verified_claims(
        provider, endpoints, tokens.id_token,
        client_id=upstream.client_id, nonce=str(sealed["nonce"]), alias=alias,
    )  # fmt: skip
    claims = userinfo_claims(endpoints, tokens, verified, alias)
    account = local_account(provider, upstream, claims, provider.clock())
    link = account.how == "link"
    pending = Pending(alias, claims["sub"], account.user.id, link, tokens.id_token)
    leave_pending(provider, paused.interaction.id_hash, pending, paused.interaction.expires_at)
    if account.how == "link":
        return LinkNeeded(paused.interaction_id, alias)
    choices = SignInChoices(
        device=device_of(user_agent), ip=source.address, device_cookie=source.device_cookie
    )
    amr = (FEDERATED_AMR,)
    return first_factor_done(provider, paused, account.user, amr, session_cookie, binding, choices)


def _no_upstream_error(display_name: str, params: Mapping[str, str]) -> None:
    """RFC 6749 §4.1.2.1: the upstream refused (the person cancelled there, or it would not
    sign them in). Its code is shown when it looks like one; its description never (the
    other server's text)."""
    error = params.get("error")
    if error is None:
        return
    shown = error if _ERROR_CODE.fullmatch(error) else "an error"
    raise FederationFailed(
        "upstream_error", f"{display_name} did not sign you in (it answered {shown})"
    )


def start(
    provider: Provider,
    interaction_id: str | None,
    binding: str,
    alias: str | None,
    address: str | None,
) -> str:
    """POST /login/federated: the upstream's authorization URL (federation/start.py);
    FederationFailed, recorded, when the upstream is unknown or its document unusable."""
    try:
        return start_federated_sign_in(provider, interaction_id, binding, alias)
    except FederationFailed as failure:
        failure.interaction_id = interaction_id
        record_failure(provider, failure, address)
        raise


def record_failure(provider: Provider, failure: FederationFailed, address: str | None) -> None:
    now = provider.clock()
    details = {"reason": failure.reason, **({"upstream": failure.alias} if failure.alias else {})}
    with provider.transaction():
        provider.audit.record(
            AuditEvent(
                type="federation.failed", occurred_at=now, actor="user", ip=address,
                details=details,
            )
        )  # fmt: skip
