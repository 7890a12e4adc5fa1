"""The authorization request once validated, and what answers it: a response at the client's
redirect URI (a code or an error, RFC 6749 §4.1.2 and §4.1.2.1, with RFC 9207's ``iss``) or
a pause for the person to sign in or consent.

Shared by the authorization endpoint's steps (protocol/authorize.py) and the interaction
that pauses and resumes them (protocol/interaction.py).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal, TypeVar

from gatehouse.accounts.assurance import achieved_acr, acr_level
from gatehouse.crypto import random_token, sha256_digest
from gatehouse.errors import ClientRedirect, OAuthError
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.redirect_uris import with_query
from gatehouse.storage.records import AuthorizationCode, Client, Interaction, SsoSession, User

E = TypeVar("E", bound=OAuthError)
InteractionKind = Literal["login", "verify", "enroll", "consent"]


@dataclass(frozen=True)
class AuthorizationRequest:
    client_id: str
    redirect_uri: str = ""
    redirect_uri_given: bool = True
    scopes: tuple[str, ...] = ()
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    prompt: tuple[str, ...] = ()
    max_age: int | None = None
    login_hint: str | None = None
    resources: tuple[str, ...] = ()
    id_token_hint_sub: str | None = None
    # OIDC Core §3.1.2.1: the known classes asked for, in order of preference.
    acr_values: tuple[str, ...] = ()
    # OIDC Core §3.1.2.1: the languages for the pages, in order of preference.
    ui_locales: tuple[str, ...] = ()
    # OIDC Core §5.5: the claims parameter, normalised (protocol/claims_request.py).
    claims: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthorizationRequest:
        data = dict(data)
        data["scopes"] = tuple(data["scopes"])
        data["prompt"] = tuple(data["prompt"])
        data["resources"] = tuple(data.get("resources", ()))
        data["acr_values"] = tuple(data.get("acr_values", ()))
        data["ui_locales"] = tuple(data.get("ui_locales", ()))
        return cls(**data)

    def refuse(self, error: E) -> E:
        """``error``, addressed to this request's redirect URI (validated by the trust steps
        before the request was built) with its state: RFC 6749 §4.1.2.1."""
        return error.to_client(self.redirect_uri, self.state)


@dataclass(frozen=True)
class BrowserState:
    """What the browser brings: its SSO session (already looked up) and, when resuming, the
    interaction it is finishing."""

    session: SsoSession | None
    user: User | None
    interaction: Interaction | None = None
    interaction_id: str | None = None
    # SHA-256 of a random per-browser cookie: an interaction started in one browser can only
    # be finished in that browser.
    binding: str | None = None


@dataclass(frozen=True)
class RedirectToClient:
    """Send the browser to ``location`` (the client's redirect URI with the response)."""

    location: str


@dataclass(frozen=True)
class InteractionNeeded:
    """Pause: the person must log in, give a second factor (``verify``), set one up
    (``enroll``) or consent. ``interaction_id`` is the secret handle the pages carry; only
    its hash is stored."""

    kind: InteractionKind
    interaction_id: str
    client: Client
    request: AuthorizationRequest
    user: User | None = None
    scopes_to_consent: tuple[str, ...] = ()


AuthorizationOutcome = RedirectToClient | InteractionNeeded


def response_location(issuer: str, target: ClientRedirect, params: dict[str, str]) -> str:
    """The redirect URI with the response ``params``, the request's ``state`` (RFC 6749
    §4.1.2) and ``iss`` (RFC 9207 §2), which tells the client which server answered."""
    response = dict(params)
    if target.state is not None:
        response["state"] = target.state
    response["iss"] = issuer
    return with_query(target.redirect_uri, response)


def error_location(issuer: str, error: OAuthError) -> str:
    """RFC 6749 §4.1.2.1: where an error addressed to the client (``to_client``) sends the
    browser."""
    if error.redirect is None:
        raise ValueError("the error is not addressed to the client; it stays at gatehouse")
    params = {"error": error.error, "error_description": error.description}
    return response_location(issuer, error.redirect, params)


def reported_acr(acr_values: tuple[str, ...], amr: tuple[str, ...]) -> str | None:
    """OIDC Core §2 acr: the first class of ``acr_values`` (in the client's order of
    preference) the methods reach; when none was asked for, the strongest they reach."""
    methods = frozenset(amr)
    for value in acr_values:
        level = acr_level(value)
        if level is not None and level.reached_by(methods):
            return value
    return achieved_acr(methods)


def issue_code(
    provider: Provider,
    client: Client,
    request: AuthorizationRequest,
    user: User,
    session: SsoSession,
) -> RedirectToClient:
    """RFC 6749 §4.1.2: a one-time code bound to the client, redirect URI and PKCE challenge,
    living at most 60 seconds; only its hash is stored."""
    code = random_token()
    now = provider.clock()
    provider.codes.create(
        AuthorizationCode(
            code_hash=sha256_digest(code),
            grant_id=str(uuid.uuid4()),
            client_id=client.client_id,
            user_id=user.id,
            sid=session.sid,
            redirect_uri=request.redirect_uri,
            redirect_uri_given=request.redirect_uri_given,
            scopes=request.scopes,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            resources=request.resources,
            auth_time=session.auth_time,
            amr=session.amr,
            acr=reported_acr(request.acr_values, session.amr),
            created_at=now,
            expires_at=now + provider.config.authorization_code_lifetime,
            claims_request=request.claims,
        )
    )
    # The client now takes part in the session: ending it will tell the client (OIDC
    # Back-Channel Logout 1.0 §2.5, Front-Channel Logout 1.0 §2).
    provider.sessions.record_client(session.sid, client.client_id, now)
    target = ClientRedirect(request.redirect_uri, request.state)
    return RedirectToClient(response_location(provider.config.issuer, target, {"code": code}))
