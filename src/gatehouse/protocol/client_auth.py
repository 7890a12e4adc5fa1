"""Client authentication at the token endpoint (RFC 6749 §2.3, §5.2; OIDC Core §9).

Supported: client_secret_basic, client_secret_post, private_key_jwt and client_secret_jwt
(RFC 7523, see client_assertion.py), and none for public clients. A client uses exactly one
method, the one it is registered with.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from gatehouse.accounts.throttle import Attempt, Guard, address_key, client_subject, wait_text
from gatehouse.crypto import constant_time_equals, sha256_digest
from gatehouse.errors import InvalidClient, InvalidClientThrottled, InvalidRequest
from gatehouse.protocol.client_assertion import (
    WrongClientCredentials,
    assertion_client_id,
    check_assertion_type,
    verify_assertion,
)
from gatehouse.protocol.messages import Parameters
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import AuditEvent, Client, ClientSecret

SUPPORTED_METHODS = (
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "client_secret_jwt",
    "none",
)
ASSERTION_METHODS = ("private_key_jwt", "client_secret_jwt")


class InvalidClientBasic(InvalidClient):
    """invalid_client after an Authorization: Basic attempt: answer with WWW-Authenticate."""


@dataclass(frozen=True)
class PresentedCredentials:
    method: str
    client_id: str
    secret: str | None
    assertion: str | None = None


def parse_basic(header: str) -> tuple[str, str]:
    """RFC 6749 §2.3.1: the id and secret are form-urlencoded, then joined by a colon."""
    try:
        decoded = base64.b64decode(header.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidClientBasic("the Authorization: Basic header is not valid base64") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id:
        raise InvalidClientBasic(
            "the Authorization: Basic header must hold client_id:client_secret"
        )
    return unquote_plus(client_id), unquote_plus(secret)


def presented_credentials(params: Parameters, authorization: str | None) -> PresentedCredentials:
    """Which method the request used. More than one method is an error (RFC 6749 §2.3)."""
    basic = None
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "basic":
            basic = parse_basic(value)
    if "client_assertion" in params or "client_assertion_type" in params:
        if basic is not None or "client_secret" in params:
            raise InvalidRequest(
                "use one client authentication method: a client_assertion, Basic or "
                "client_secret, not several"
            )
        check_assertion_type(params.get("client_assertion_type"))
        assertion = params.require("client_assertion")
        issuer = assertion_client_id(assertion)
        if "client_id" in params and params["client_id"] != issuer:
            raise InvalidClient("client_id differs from the client_assertion's iss and sub")
        return PresentedCredentials("client_assertion", issuer, None, assertion)
    if basic is not None:
        if "client_secret" in params:
            raise InvalidRequest(
                "use one client authentication method: Basic or client_secret, not both"
            )
        if "client_id" in params and params["client_id"] != basic[0]:
            raise InvalidRequest("client_id in the body differs from the one in Authorization")
        return PresentedCredentials("client_secret_basic", basic[0], basic[1])
    client_id = params.get("client_id")
    if client_id is None:
        raise InvalidClient("client authentication is required: send client_id (and its secret)")
    secret = params.get("client_secret")
    if secret is not None:
        return PresentedCredentials("client_secret_post", client_id, secret)
    return PresentedCredentials("none", client_id, None)


def authenticate_client(
    provider: Provider, params: Parameters, authorization: str | None, address: str | None = None
) -> Client:
    """The client the request authenticates as. ``address``: the caller's address, which
    brute-force protection counts failures by (docs/lockout.md)."""
    presented = presented_credentials(params, authorization)
    error_class = InvalidClientBasic if presented.method == "client_secret_basic" else InvalidClient
    found = provider.clients.get_for_authentication(presented.client_id)
    if found is None:
        raise error_class("unknown client", detail=f"client_id={presented.client_id[:100]!r}")
    client, secrets = found
    assertion = presented.method == "client_assertion" and client.auth_method in ASSERTION_METHODS
    if not assertion and presented.method != client.auth_method:
        if client.auth_method == "none":
            raise error_class("this is a public client: send only client_id, with no secret")
        raise error_class(
            f"this client must authenticate with {client.auth_method}, not {presented.method}"
        )
    if client.auth_method == "none":
        return client
    now = provider.clock()
    attempt = Attempt("client_secret", client_subject(client.client_id), address_key(address))
    guard = provider.throttle.guard_client(attempt, now)
    if guard.refusal is not None:
        raise InvalidClientThrottled(
            "too many failed authentications of this client from this address; try again "
            f"in {wait_text(guard.refusal.retry_after)}",
            guard.refusal.retry_after,
        )
    try:
        if assertion:
            assert presented.assertion is not None
            issuer = provider.config.issuer
            verify_assertion(
                provider, client, presented.assertion, f"{issuer}/token", provider.remote_jwks
            )
        else:
            _check_secret(provider, secrets, presented.secret or "", error_class)
    except WrongClientCredentials as wrong:
        _record_failure(provider, guard, client, presented.method, address, now)
        raise error_class(wrong.description) from None
    guard.succeeded()
    return client


def _check_secret(
    provider: Provider,
    secrets: Sequence[ClientSecret],
    secret: str,
    error_class: type[InvalidClient],
) -> None:
    """Compare SHA-256 digests in constant time against every secret of the client."""
    presented_hash = sha256_digest(secret)
    now = provider.clock()
    matched_expired = False
    for stored in secrets:
        if constant_time_equals(presented_hash, stored.secret_hash):
            if stored.usable_at(now):
                return
            matched_expired = True
    if matched_expired:
        # Not a guess: a client that has not picked up its new secret yet. Not counted,
        # so it cannot lock out its rotated twin at the same address.
        raise error_class("the client secret has expired or was revoked; use a current secret")
    raise WrongClientCredentials("client authentication failed: wrong client secret")


def _record_failure(
    provider: Provider,
    guard: Guard,
    client: Client,
    method: str,
    address: str | None,
    now: int,
) -> None:
    """Count a wrong secret or signature, with its audit events, in one transaction."""
    with provider.transaction():
        failure = guard.failed(now)
        events: list[tuple[str, dict[str, Any]]] = [
            ("client.authentication_failed", {"method": method})
        ]
        events += [
            ("client.authentication_locked", {"until": lock.until}) for lock in failure.locks
        ]
        for event_type, details in events:
            provider.audit.record(
                AuditEvent(
                    type=event_type,
                    occurred_at=now,
                    actor="client",
                    client_id=client.client_id,
                    ip=address,
                    details=details,
                )
            )
