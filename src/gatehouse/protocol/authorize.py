"""The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2, RFC 7636, RFC 9207).

Three ordered phases, each a tuple of small steps:

1. ``TRUST_STEPS`` establish the client and the redirect URI. Until they pass, nothing may be
   sent to the redirect URI: errors raise ``UntrustedRedirect`` and become an error page.
2. ``REQUEST_STEPS`` validate the rest of the request; errors redirect to the client with
   ``error``, ``error_description``, ``state`` and ``iss`` (RFC 6749 §4.1.2.1, RFC 9207).
3. ``decide`` compares the request with the browser's SSO session and the stored consent and
   either issues a code or pauses for an interaction (login or consent page), which resumes
   the same decision when the person is done.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from gatehouse.crypto import constant_time_equals, random_token, sha256_digest
from gatehouse.errors import (
    AccessDenied,
    ConsentRequired,
    InvalidRequest,
    LoginRequired,
    OAuthError,
    RegistrationNotSupported,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
    UntrustedRedirect,
)
from gatehouse.protocol import audiences, pkce, scopes
from gatehouse.protocol.messages import MalformedParameters, Parameters, split_scope
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.redirect_uris import is_registered, match_registered, with_query
from gatehouse.storage.records import AuthorizationCode, Client, Interaction, SsoSession, User
from gatehouse.tokens.id_token import read_id_token_hint

PROMPT_VALUES = ("none", "login", "consent", "select_account")
MAX_NONCE_LENGTH = 512


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuthorizationRequest:
        data = dict(data)
        data["scopes"] = tuple(data["scopes"])
        data["prompt"] = tuple(data["prompt"])
        data["resources"] = tuple(data.get("resources", ()))
        return cls(**data)


@dataclass(frozen=True)
class RedirectToClient:
    """Send the browser to ``location`` (the client's redirect URI with the response)."""

    location: str


@dataclass(frozen=True)
class InteractionNeeded:
    """Pause: the person must log in or consent. ``interaction_id`` is the secret handle the
    pages carry; only its hash is stored."""

    kind: Literal["login", "consent"]
    interaction_id: str
    client: Client
    request: AuthorizationRequest
    user: User | None = None
    scopes_to_consent: tuple[str, ...] = ()


AuthorizationOutcome = RedirectToClient | InteractionNeeded


@dataclass
class _Draft:
    """What the steps have established so far."""

    params: Parameters
    client: Client | None = None
    request: AuthorizationRequest = field(default_factory=lambda: AuthorizationRequest(""))


# -- Phase 1: trust ---------------------------------------------------------------------------


def client_is_registered(provider: Provider, draft: _Draft) -> None:
    """RFC 6749 §4.1.2.1: an unknown client_id is shown to the person, never redirected."""
    client_id = draft.params.get("client_id")
    if client_id is None:
        raise InvalidRequest("the client_id parameter is required")
    client = provider.clients.get(client_id)
    if client is None:
        raise InvalidRequest(f"no application is registered with client_id {client_id[:100]!r}")
    draft.client = client
    draft.request = replace(draft.request, client_id=client_id)


def redirect_uri_is_registered(provider: Provider, draft: _Draft) -> None:
    """RFC 6749 §3.1.2.3, RFC 9700 §4.1.3: exact string match with a registered redirect URI;
    OIDC Core §3.1.2.1: an OpenID Connect request always names it."""
    assert draft.client is not None
    openid = "openid" in (draft.params.get("scope") or "").split(" ")
    uri, given = match_registered(
        draft.params.get("redirect_uri"), draft.client.redirect_uris, openid=openid
    )
    draft.request = replace(draft.request, redirect_uri=uri, redirect_uri_given=given)


TRUST_STEPS: tuple[Callable[[Provider, _Draft], None], ...] = (
    client_is_registered,
    redirect_uri_is_registered,
)


# -- Phase 2: the request ---------------------------------------------------------------------


def client_may_use_code_flow(provider: Provider, draft: _Draft) -> None:
    """RFC 6749 §4.1.2.1 unauthorized_client: the client is not registered for this grant."""
    assert draft.client is not None
    if "authorization_code" not in draft.client.grant_types:
        raise UnauthorizedClient(
            "this client is not allowed to use the authorization code flow; "
            "register it with --grant-type authorization_code"
        )


def no_request_objects(provider: Provider, draft: _Draft) -> None:
    """OIDC Core §6: request objects are not supported (discovery says so); nor is §7.2.1's
    registration parameter (§3.1.2.6 names the error)."""
    if "request" in draft.params:
        raise RequestNotSupported("request objects are not supported; send plain parameters")
    if "request_uri" in draft.params:
        raise RequestUriNotSupported("request_uri is not supported; send plain parameters")
    if "registration" in draft.params:
        raise RegistrationNotSupported(
            "the registration parameter is not supported; register the client with gatehouse"
        )


def response_type_is_code(provider: Provider, draft: _Draft) -> None:
    """RFC 6749 §3.1.1: response_type is required; gatehouse issues codes only."""
    response_type = draft.params.get("response_type")
    if response_type is None:
        raise InvalidRequest("the response_type parameter is required; use response_type=code")
    if response_type != "code":
        raise UnsupportedResponseType(
            f"response_type {response_type[:40]!r} is not supported; use response_type=code "
            "(with PKCE)"
        )
    mode = draft.params.get("response_mode")
    if mode is not None and mode != "query":
        raise InvalidRequest(f"response_mode {mode[:40]!r} is not supported; use query")


def resources_are_allowed(provider: Provider, draft: _Draft) -> None:
    """RFC 8707 §2: each resource is an API this client may obtain tokens for."""
    assert draft.client is not None
    resources = draft.params.all("resource")
    if resources:
        resources = audiences.check_resources(
            resources,
            draft.client,
            provider.apis.list(),
            provider.apis,
            provider.config.default_audience,
        )
    draft.request = replace(draft.request, resources=resources)


def scope_is_allowed(provider: Provider, draft: _Draft) -> None:
    """RFC 6749 §3.3: every requested scope must be one the client may request; API scopes
    are compared in their canonical <api>/<name> form."""
    assert draft.client is not None
    requested = split_scope(draft.params.get("scope"))
    # Only a name that is no standard scope may need the APIs to resolve it.
    apis = provider.apis.list() if any(s not in scopes.STANDARD_SCOPES for s in requested) else []
    requested = scopes.resolve_requested(
        requested, draft.client.allowed_scopes, apis, draft.request.resources
    )
    draft.request = replace(draft.request, scopes=requested)


def pkce_is_valid(provider: Provider, draft: _Draft) -> None:
    """RFC 7636 §4.3, RFC 9700 §2.1.1: S256 only; required for public clients."""
    assert draft.client is not None
    challenge = pkce.check_challenge(
        draft.params.get("code_challenge"),
        draft.params.get("code_challenge_method"),
        required=draft.client.is_public,
    )
    draft.request = replace(draft.request, code_challenge=challenge)


def state_nonce_and_hint(provider: Provider, draft: _Draft) -> None:
    """OIDC Core §3.1.2.1: state and nonce are opaque; keep them within stored limits."""
    nonce = draft.params.get("nonce")
    if nonce is not None and len(nonce) > MAX_NONCE_LENGTH:
        raise InvalidRequest(f"nonce is longer than {MAX_NONCE_LENGTH} characters")
    draft.request = replace(
        draft.request,
        nonce=nonce,
        login_hint=(draft.params.get("login_hint") or "")[:255] or None,
    )


def id_token_hint_is_ours(provider: Provider, draft: _Draft) -> None:
    """OIDC Core §3.1.2.1: id_token_hint is an ID token this server issued (expired is fine);
    it names the user the client expects to be signed in."""
    hint = draft.params.get("id_token_hint")
    if hint is None:
        return
    claims = read_id_token_hint(hint, provider.keys.keyring(), issuer=provider.config.issuer)
    if claims is None or not isinstance(claims.get("sub"), str):
        raise InvalidRequest("id_token_hint is not an ID token issued by this server")
    draft.request = replace(draft.request, id_token_hint_sub=claims["sub"])


def prompt_is_valid(provider: Provider, draft: _Draft) -> None:
    """OIDC Core §3.1.2.1: known prompt values; none may not be combined with others."""
    values = tuple(dict.fromkeys(v for v in draft.params.get("prompt", "").split(" ") if v))
    unknown = [v for v in values if v not in PROMPT_VALUES]
    if unknown:
        raise InvalidRequest(f"unsupported prompt value {unknown[0][:40]!r}")
    if "none" in values and len(values) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other prompt values")
    draft.request = replace(draft.request, prompt=values)


def max_age_is_valid(provider: Provider, draft: _Draft) -> None:
    """OIDC Core §3.1.2.1: max_age is a non-negative number of seconds."""
    raw = draft.params.get("max_age")
    if raw is None:
        return
    # ASCII digits only: str.isdigit() also accepts superscripts and other scripts' digits.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        raise InvalidRequest("max_age must be a non-negative whole number of seconds")
    draft.request = replace(draft.request, max_age=int(raw))


REQUEST_STEPS: tuple[Callable[[Provider, _Draft], None], ...] = (
    client_may_use_code_flow,
    no_request_objects,
    response_type_is_code,
    resources_are_allowed,
    scope_is_allowed,
    pkce_is_valid,
    state_nonce_and_hint,
    prompt_is_valid,
    max_age_is_valid,
    id_token_hint_is_ours,
)


# -- Responses --------------------------------------------------------------------------------


def error_redirect(
    provider: Provider, request: AuthorizationRequest, error: OAuthError
) -> RedirectToClient:
    """RFC 6749 §4.1.2.1 with RFC 9207's iss."""
    params = {"error": error.error, "error_description": error.description}
    if request.state is not None:
        params["state"] = request.state
    params["iss"] = provider.config.issuer
    return RedirectToClient(with_query(request.redirect_uri, params))


# -- Phase 3: decide --------------------------------------------------------------------------


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


def _why_login(
    provider: Provider, request: AuthorizationRequest, browser: BrowserState
) -> str | None:
    """OIDC Core §3.1.2.3: why the person must sign in (no session, prompt=login or
    select_account, another user than id_token_hint names, max_age exceeded), or None —
    and None too when the person has just signed in for this very request."""
    if browser.session is None or browser.user is None:
        return "the user is not signed in"
    if browser.interaction is not None and browser.interaction.login_completed_at is not None:
        return None
    if "login" in request.prompt or "select_account" in request.prompt:
        return f"prompt={' '.join(request.prompt)} asks for a new sign-in"
    if request.id_token_hint_sub is not None and request.id_token_hint_sub != browser.user.id:
        return "the signed-in user is not the one id_token_hint names"
    if request.max_age == 0:  # OIDC Core §3.1.2.1 (errata): max_age=0 is prompt=login
        return "max_age=0 asks for a new sign-in"
    now = provider.clock()
    if request.max_age is not None and now - browser.session.auth_time > request.max_age:
        return f"the user signed in more than max_age={request.max_age} seconds ago"
    return None


def proves_client_identity(client: Client, redirect_uri: str) -> bool:
    """RFC 8252 §8.6: whether a request could only have come from this client. A
    confidential client proves itself at the token endpoint, and an https redirect URI
    leads only to its owner; but any program on the device can listen on a loopback port
    or claim a private-use URI scheme and use a native app's client_id."""
    return not client.is_public or redirect_uri.startswith("https://")


def _scopes_needing_consent(
    provider: Provider, client: Client, request: AuthorizationRequest, browser: BrowserState
) -> tuple[str, ...]:
    """Consent is stored per (user, client) and not asked again for the same or a smaller
    set; prompt=consent asks again (OIDC Core §3.1.2.1), even for a first-party client, which
    is trusted otherwise. A stored consent is not reused for a client whose identity the
    request cannot prove (RFC 8252 §8.6: "as if no previous request had been approved")."""
    assert browser.user is not None
    if browser.interaction is not None and browser.interaction.consent_given:
        return ()
    if "consent" in request.prompt:
        return request.scopes
    if client.first_party:
        return ()
    if not proves_client_identity(client, request.redirect_uri):
        return request.scopes
    consent = provider.consents.get(browser.user.id, client.client_id)
    granted = consent.scopes if consent is not None else frozenset()
    return tuple(s for s in request.scopes if s not in granted)


def _pause(
    provider: Provider,
    kind: Literal["login", "consent"],
    client: Client,
    request: AuthorizationRequest,
    browser: BrowserState,
    scopes_to_consent: tuple[str, ...] = (),
) -> InteractionNeeded:
    interaction_id = browser.interaction_id
    if interaction_id is None or browser.interaction is None:
        interaction_id = random_token()
        now = provider.clock()
        provider.interactions.create(
            Interaction(
                id_hash=sha256_digest(interaction_id),
                client_id=client.client_id,
                request=request.to_dict(),
                created_at=now,
                expires_at=now + provider.config.interaction_lifetime,
                login_completed_at=None,
                consent_given=False,
                browser_hash=browser.binding,
            )
        )
    return InteractionNeeded(
        kind=kind,
        interaction_id=interaction_id,
        client=client,
        request=request,
        user=browser.user,
        scopes_to_consent=scopes_to_consent,
    )


def decide(
    provider: Provider, client: Client, request: AuthorizationRequest, browser: BrowserState
) -> AuthorizationOutcome:
    why_login = _why_login(provider, request, browser)
    if why_login is not None:
        if "none" in request.prompt:
            return error_redirect(provider, request, LoginRequired(f"{why_login} (prompt=none)"))
        return _pause(provider, "login", client, request, browser)
    assert browser.user is not None and browser.session is not None
    if request.id_token_hint_sub is not None and request.id_token_hint_sub != browser.user.id:
        # OIDC Core §3.1.2.1: someone else signed in than the user the hint names.
        return error_redirect(
            provider,
            request,
            LoginRequired("the user who signed in is not the one id_token_hint names"),
        )
    to_consent = _scopes_needing_consent(provider, client, request, browser)
    if to_consent:
        if "none" in request.prompt:
            return error_redirect(
                provider,
                request,
                ConsentRequired(
                    f"the user has not consented to: {' '.join(to_consent)} (prompt=none)"
                ),
            )
        return _pause(provider, "consent", client, request, browser, to_consent)
    if browser.interaction is not None and not provider.interactions.complete(
        browser.interaction.id_hash, provider.clock()
    ):
        raise UntrustedRedirect(InvalidRequest("this sign-in was already completed"))
    return issue_code(provider, client, request, browser.user, browser.session)


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
            acr=session.acr,
            created_at=now,
            expires_at=now + provider.config.authorization_code_lifetime,
        )
    )
    params = {"code": code}
    if request.state is not None:
        params["state"] = request.state
    params["iss"] = provider.config.issuer  # RFC 9207
    return RedirectToClient(with_query(request.redirect_uri, params))


# -- Entry points used by the web adapter -----------------------------------------------------


def authorize(
    provider: Provider, params: Parameters, browser: BrowserState
) -> AuthorizationOutcome:
    """GET or POST /authorize."""
    client, request = _validated_or_redirect(provider, params)
    if isinstance(request, RedirectToClient):
        return request
    return decide(provider, client, request, browser)


def reject_malformed(provider: Provider, error: MalformedParameters) -> RedirectToClient:
    """RFC 6749 §4.1.2.1: a malformed request (duplicate, oversized, NUL, not UTF-8) still
    gets its error at the redirect URI when the client and redirect URI are trustworthy;
    when either of them is itself malformed, the error stays at gatehouse."""
    if error.rejected & {"client_id", "redirect_uri"}:
        raise UntrustedRedirect(error)
    draft = _Draft(params=error.usable)
    try:
        for trust_step in TRUST_STEPS:
            trust_step(provider, draft)
    except OAuthError:
        raise UntrustedRedirect(error) from None
    draft.request = replace(draft.request, state=error.usable.get("state"))
    return error_redirect(provider, draft.request, error)


def _validated_or_redirect(
    provider: Provider, params: Parameters
) -> tuple[Client, AuthorizationRequest | RedirectToClient]:
    draft = _Draft(params=params)
    try:
        for trust_step in TRUST_STEPS:
            trust_step(provider, draft)
    except OAuthError as error:
        raise UntrustedRedirect(error) from None
    assert draft.client is not None
    draft.request = replace(draft.request, state=params.get("state"))
    try:
        for step in REQUEST_STEPS:
            step(provider, draft)
    except OAuthError as error:
        return draft.client, error_redirect(provider, draft.request, error)
    return draft.client, draft.request


def load_interaction(
    provider: Provider, interaction_id: str, binding: str | None
) -> tuple[Interaction, Client, AuthorizationRequest]:
    """The paused request behind a login or consent page, for the browser that started it."""
    interaction = provider.interactions.get(sha256_digest(interaction_id), provider.clock())
    if interaction is None:
        raise UntrustedRedirect(
            InvalidRequest(
                "this sign-in page has expired or was already used; go back to the application "
                "and start again"
            )
        )
    if interaction.browser_hash is not None and not constant_time_equals(
        interaction.browser_hash, binding or ""
    ):
        raise UntrustedRedirect(
            InvalidRequest(
                "this sign-in was started in another browser (or its cookies were cleared); go "
                "back to the application and start again here"
            )
        )
    client = provider.clients.get(interaction.client_id)
    if client is None:
        raise UntrustedRedirect(InvalidRequest("the application was removed during sign-in"))
    request = AuthorizationRequest.from_dict(interaction.request)
    if not is_registered(request.redirect_uri, client.redirect_uris):
        raise UntrustedRedirect(InvalidRequest("the redirect URI was unregistered during sign-in"))
    return interaction, client, request


def resume(provider: Provider, interaction_id: str, browser: BrowserState) -> AuthorizationOutcome:
    """Continue a paused request after a login or consent page."""
    interaction, client, request = load_interaction(provider, interaction_id, browser.binding)
    browser = replace(browser, interaction=interaction, interaction_id=interaction_id)
    return decide(provider, client, request, browser)


def deny(provider: Provider, interaction_id: str, binding: str | None) -> RedirectToClient:
    """The person declined on the consent page: access_denied to the client (RFC 6749 §4.1.2.1)."""
    interaction, _client, request = load_interaction(provider, interaction_id, binding)
    provider.interactions.complete(interaction.id_hash, provider.clock())
    return error_redirect(provider, request, AccessDenied("the user declined to grant access"))
