"""The authorization endpoint (RFC 6749 §4.1.1, OIDC Core §3.1.2, RFC 7636, RFC 9207).

First the request's effective parameters are resolved (request_parameters.py: a pushed
request's, RFC 9126, or a signed request object's, RFC 9101). Then two ordered phases of
small steps, then the decision:

1. ``TRUST_STEPS`` establish the client and the redirect URI. Until they pass, nothing may be
   sent to the redirect URI: their errors stay at gatehouse (an error page).
2. ``REQUEST_STEPS`` validate the rest of the request; their errors are addressed to the
   client's redirect URI, with ``state`` and ``iss`` (RFC 6749 §4.1.2.1, RFC 9207), in the
   request's response mode (protocol/response_modes.py).
3. ``decision.decide`` compares the request with the browser's SSO session and the stored
   consent and either issues the response (a code, tokens or both) or pauses for the login
   or consent page, which resume the same decision when the person is done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from gatehouse.accounts.assurance import acr_level
from gatehouse.errors import (
    InvalidRequest,
    InvalidScope,
    OAuthError,
    RegistrationNotSupported,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from gatehouse.protocol import audiences, pkce, response_types, scopes
from gatehouse.protocol.authorization import (
    AuthorizationOutcome,
    AuthorizationRequest,
    BrowserState,
)
from gatehouse.protocol.claims_request import parse_claims_request
from gatehouse.protocol.decision import decide
from gatehouse.protocol.messages import (
    MalformedParameters,
    Parameters,
    split_scope,
    split_ui_locales,
)
from gatehouse.protocol.provider import Provider
from gatehouse.protocol.redirect_uris import match_registered
from gatehouse.protocol.request_parameters import effective_parameters
from gatehouse.storage.records import Client
from gatehouse.tokens.id_token import read_id_token_hint

PROMPT_VALUES = ("none", "login", "consent", "select_account")
GRANT_MISSING = {
    "authorization_code": "this client is not allowed to use the authorization code flow; "
    "register it with --grant-type authorization_code",
    "implicit": "this client is not allowed to use the implicit flow, a legacy flow that is "
    "off unless an operator enables it for the client (docs/flows.md); use response_type=code",
}
MAX_NONCE_LENGTH = 512


@dataclass
class Draft:
    """What the steps have established so far."""

    params: Parameters
    client: Client | None = None
    request: AuthorizationRequest = field(default_factory=lambda: AuthorizationRequest(""))


# -- Phase 1: trust ---------------------------------------------------------------------------


def client_is_registered(provider: Provider, draft: Draft) -> None:
    """RFC 6749 §4.1.2.1: an unknown client_id is shown to the person, never redirected."""
    client_id = draft.params.get("client_id")
    if client_id is None:
        raise InvalidRequest("the client_id parameter is required")
    client = provider.clients.get(client_id)
    if client is None:
        raise InvalidRequest(f"no application is registered with client_id {client_id[:100]!r}")
    draft.client = client
    draft.request = replace(draft.request, client_id=client_id)


def redirect_uri_is_registered(provider: Provider, draft: Draft) -> None:
    """RFC 6749 §3.1.2.3, RFC 9700 §4.1.3: exact string match with a registered redirect URI
    (a native app's loopback port aside, RFC 8252 §7.3); OIDC Core §3.1.2.1: an OpenID
    Connect request always names it."""
    assert draft.client is not None
    openid = "openid" in (draft.params.get("scope") or "").split(" ")
    uri, given = match_registered(
        draft.params.get("redirect_uri"),
        draft.client.redirect_uris,
        openid=openid,
        native=draft.client.is_public,
    )
    draft.request = replace(draft.request, redirect_uri=uri, redirect_uri_given=given)


TRUST_STEPS: tuple[Callable[[Provider, Draft], None], ...] = (
    client_is_registered,
    redirect_uri_is_registered,
)


# -- Phase 2: the request ---------------------------------------------------------------------


def response_type_is_registered(provider: Provider, draft: Draft) -> None:
    """RFC 6749 §3.1.1, OAuth 2.0 Multiple Response Types §2: response_type is required and
    one gatehouse answers (unsupported_response_type, in any order of its values); RFC 6749
    §4.1.2.1 unauthorized_client: the client is registered for its grant and for it."""
    assert draft.client is not None
    raw = draft.params.get("response_type")
    if raw is None:
        raise InvalidRequest("the response_type parameter is required; use response_type=code")
    response_type = response_types.canonical(raw)
    if response_type is None:
        raise UnsupportedResponseType(
            f"response_type {raw[:40]!r} is not supported; use response_type=code (with PKCE), "
            f"or one of: {', '.join(response_types.RESPONSE_TYPES[1:])}"
        )
    grant = response_types.grant_of(response_type)
    if grant not in draft.client.grant_types:
        raise UnauthorizedClient(GRANT_MISSING[grant])
    if response_type not in draft.client.response_types:
        raise UnauthorizedClient(
            f"this client is not registered for response_type {response_type!r}; it may use "
            f"{', '.join(repr(t) for t in draft.client.response_types)} "
            f"(an operator adds one with --response-type)"
        )
    draft.request = replace(draft.request, response_type=response_type)


def no_request_objects(provider: Provider, draft: Draft) -> None:
    """RFC 9101 §5, RFC 9126 §4: a request object or request_uri was resolved into plain
    parameters before these steps (request_parameters.py), so none may remain (a request
    object must not nest another). OIDC Core §7.2.1's registration parameter is not
    supported (§3.1.2.6 names the error)."""
    if "request" in draft.params:
        raise RequestNotSupported("a request object cannot carry another request object")
    if "request_uri" in draft.params:
        raise RequestUriNotSupported(
            "a request_uri cannot be inside a pushed or signed authorization request"
        )
    if "registration" in draft.params:
        raise RegistrationNotSupported(
            "the registration parameter is not supported; register the client with gatehouse"
        )


def response_mode_is_allowed(provider: Provider, draft: Draft) -> None:
    """OAuth 2.0 Multiple Response Types §2.1, Form Post Response Mode §2: query, fragment or
    form_post, by default the response type's; never the query for a type that returns
    tokens (Multiple Response Types §5, RFC 9700 §4.3.1)."""
    response_type = draft.request.response_type
    raw = draft.params.get("response_mode")
    mode = response_types.known_mode(raw) if raw is not None else None
    if raw is not None and mode is None:
        raise InvalidRequest(
            f"response_mode {raw[:40]!r} is not supported; use query, fragment or form_post"
        )
    if mode is not None and not response_types.mode_allowed(response_type, mode):
        raise InvalidRequest(
            f"response_mode=query cannot carry the tokens response_type {response_type!r} "
            "returns (they would end up in logs and Referer headers); use fragment or form_post"
        )
    draft.request = replace(
        draft.request, response_mode=mode or response_types.default_mode(response_type)
    )


def resources_are_allowed(provider: Provider, draft: Draft) -> None:
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


def scope_is_allowed(provider: Provider, draft: Draft) -> None:
    """RFC 6749 §3.3: every requested scope must be one the client may request; API scopes
    are compared in their canonical <api>/<name> form."""
    assert draft.client is not None
    requested = split_scope(draft.params.get("scope"))
    # Only a name that is no standard scope may need the APIs to resolve it.
    apis = provider.apis.list() if any(s not in scopes.STANDARD_SCOPES for s in requested) else []
    requested = scopes.resolve_requested(
        requested, draft.client.allowed_scopes, apis, draft.request.resources
    )
    if response_types.returns_id_token(draft.request.response_type) and "openid" not in requested:
        # OIDC Core §3.2.2.1, §3.3.2.1: an ID token answers an OpenID Connect request only.
        raise InvalidScope(
            f"response_type {draft.request.response_type!r} returns an ID token: the scope "
            "must include openid"
        )
    draft.request = replace(draft.request, scopes=requested)


def pkce_is_valid(provider: Provider, draft: Draft) -> None:
    """RFC 7636 §4.3, RFC 9700 §2.1.1: S256 only; required for public clients. It protects
    a code: a response without one has nothing to bind it to."""
    assert draft.client is not None
    if not response_types.returns_code(draft.request.response_type):
        return
    challenge = pkce.check_challenge(
        draft.params.get("code_challenge"),
        draft.params.get("code_challenge_method"),
        required=draft.client.is_public,
    )
    draft.request = replace(draft.request, code_challenge=challenge)


def state_nonce_and_hint(provider: Provider, draft: Draft) -> None:
    """OIDC Core §3.1.2.1: state and nonce are opaque; keep them within stored limits.
    §3.2.2.1, §3.3.2.11: nonce is required when the ID token comes from this endpoint,
    where only the nonce ties it to the browser that asked for it."""
    nonce = draft.params.get("nonce")
    if nonce is not None and len(nonce) > MAX_NONCE_LENGTH:
        raise InvalidRequest(f"nonce is longer than {MAX_NONCE_LENGTH} characters")
    if nonce is None and response_types.returns_id_token(draft.request.response_type):
        raise InvalidRequest(
            f"nonce is required with response_type {draft.request.response_type!r}, which "
            "returns an ID token from the authorization endpoint"
        )
    draft.request = replace(
        draft.request,
        nonce=nonce,
        login_hint=(draft.params.get("login_hint") or "")[:255] or None,
    )


def ui_locales_are_kept(provider: Provider, draft: Draft) -> None:
    """OIDC Core §3.1.2.1: ui_locales names the person's languages for the pages; one the
    pages do not have is no error."""
    ui_locales = split_ui_locales(draft.params.get("ui_locales"))
    draft.request = replace(draft.request, ui_locales=ui_locales)


def id_token_hint_is_ours(provider: Provider, draft: Draft) -> None:
    """OIDC Core §3.1.2.1: id_token_hint is an ID token this server issued (expired is fine);
    it names the user the client expects to be signed in."""
    hint = draft.params.get("id_token_hint")
    if hint is None:
        return
    claims = read_id_token_hint(hint, provider.keys.keyring(), issuer=provider.config.issuer)
    if claims is None or not isinstance(claims.get("sub"), str):
        raise InvalidRequest("id_token_hint is not an ID token issued by this server")
    draft.request = replace(draft.request, id_token_hint_sub=claims["sub"])


def prompt_is_valid(provider: Provider, draft: Draft) -> None:
    """OIDC Core §3.1.2.1: known prompt values; none may not be combined with others."""
    values = tuple(dict.fromkeys(v for v in draft.params.get("prompt", "").split(" ") if v))
    unknown = [v for v in values if v not in PROMPT_VALUES]
    if unknown:
        raise InvalidRequest(f"unsupported prompt value {unknown[0][:40]!r}")
    if "none" in values and len(values) > 1:
        raise InvalidRequest("prompt=none cannot be combined with other prompt values")
    draft.request = replace(draft.request, prompt=values)


def max_age_is_valid(provider: Provider, draft: Draft) -> None:
    """OIDC Core §3.1.2.1: max_age is a non-negative number of seconds."""
    raw = draft.params.get("max_age")
    if raw is None:
        return
    # ASCII digits only: str.isdigit() also accepts superscripts and other scripts' digits.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        raise InvalidRequest("max_age must be a non-negative whole number of seconds")
    draft.request = replace(draft.request, max_age=int(raw))


def acr_values_are_read(provider: Provider, draft: Draft) -> None:
    """OIDC Core §3.1.2.1: acr_values, in order of preference. Values gatehouse does not
    define are voluntary requests it cannot honour: left out (docs/step-up.md)."""
    values = (draft.params.get("acr_values") or "").split(" ")
    known = tuple(dict.fromkeys(v for v in values if acr_level(v) is not None))
    draft.request = replace(draft.request, acr_values=known)


def claims_are_read(provider: Provider, draft: Draft) -> None:
    """OIDC Core §5.5: the claims parameter, kept with the request; §5.5.1.1: acr values
    asked for through it join acr_values (claims_request.py says what else it does)."""
    claims = parse_claims_request(draft.params.get("claims"))
    if claims is None:
        return
    known = tuple(v for v in claims.acr_values() if acr_level(v) is not None)
    draft.request = replace(
        draft.request,
        claims=claims.to_json(),
        acr_values=tuple(dict.fromkeys((*draft.request.acr_values, *known))),
    )


REQUEST_STEPS: tuple[Callable[[Provider, Draft], None], ...] = (
    response_type_is_registered,
    no_request_objects,
    response_mode_is_allowed,
    resources_are_allowed,
    scope_is_allowed,
    pkce_is_valid,
    state_nonce_and_hint,
    ui_locales_are_kept,
    prompt_is_valid,
    max_age_is_valid,
    acr_values_are_read,
    claims_are_read,
    id_token_hint_is_ours,
)


# -- Entry points used by the web adapter -----------------------------------------------------


def authorize(
    provider: Provider, params: Parameters, browser: BrowserState
) -> AuthorizationOutcome:
    """GET or POST /authorize: the steps in order, then the decision."""
    params = effective_parameters(provider, params)
    draft = _trusted(provider, params)
    assert draft.client is not None
    try:
        for step in REQUEST_STEPS:
            step(provider, draft)
    except OAuthError as error:
        raise draft.request.refuse(error) from None
    return decide(provider, draft.client, draft.request, browser)


def address_malformed(provider: Provider, error: MalformedParameters) -> MalformedParameters:
    """RFC 6749 §4.1.2.1: a malformed request (duplicate, oversized, NUL, not UTF-8) still
    gets its error at the redirect URI when the client and redirect URI are trustworthy;
    when either of them is itself malformed, the error stays at gatehouse."""
    if error.rejected & {"client_id", "redirect_uri"}:
        return error
    try:
        draft = _trusted(provider, error.usable)
    except OAuthError:
        return error
    request = draft.request
    return error.to_client(request.redirect_uri, request.state, request.response_mode)


def _trusted(provider: Provider, params: Parameters) -> Draft:
    """Phase 1; the draft holds the client, its redirect URI, the request's state and the
    response mode the request's errors travel in. Its own errors are not addressed to the
    client: they stay at gatehouse."""
    draft = Draft(params=params)
    for trust_step in TRUST_STEPS:
        trust_step(provider, draft)
    draft.request = replace(
        draft.request,
        state=params.get("state"),
        response_mode=response_types.error_mode(
            params.get("response_type"), params.get("response_mode")
        ),
    )
    return draft


def validate_request(provider: Provider, params: Parameters) -> tuple[Client, AuthorizationRequest]:
    """Both phases over plain ``params``, for the pushed authorization request endpoint
    (RFC 9126 §2.1), which answers errors itself: none is addressed to the client."""
    draft = _trusted(provider, params)
    for step in REQUEST_STEPS:
        step(provider, draft)
    assert draft.client is not None
    return draft.client, draft.request
