"""protocol.authorize: each step of the authorization endpoint on its own (one table), then
the entry points that run them in order and address errors to the client or keep them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gatehouse.errors import (
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    OAuthError,
    RegistrationNotSupported,
    RequestNotSupported,
    RequestUriNotSupported,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from gatehouse.protocol import authorize
from gatehouse.protocol.authorization import BrowserState, InteractionNeeded
from gatehouse.protocol.authorize import (
    MAX_NONCE_LENGTH,
    REQUEST_STEPS,
    TRUST_STEPS,
    Draft,
    acr_values_are_read,
    address_malformed,
    claims_are_read,
    client_is_registered,
    id_token_hint_is_ours,
    max_age_is_valid,
    no_request_objects,
    pkce_is_valid,
    prompt_is_valid,
    redirect_uri_is_registered,
    resources_are_allowed,
    response_mode_is_allowed,
    response_type_is_registered,
    scope_is_allowed,
    state_nonce_and_hint,
    ui_locales_are_kept,
)
from gatehouse.protocol.messages import MalformedParameters, Parameters, parse_query_or_form
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.tokens.id_token import mint_id_token
from tests.support.factories import (
    ORDERS_API,
    REDIRECT_URI,
    make_api,
    make_client,
    make_daemon,
    make_public_client,
)

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
SPA_REDIRECT = "http://127.0.0.1:5173/callback"


@pytest.fixture
def provider(runtime: Runtime) -> Provider:
    make_api(runtime, ORDERS_API)
    make_client(runtime, "web", scopes=["openid", "profile", "email", "orders.read"])
    make_client(runtime, "two-uris", redirect_uris=[REDIRECT_URI, "https://app.example.com/b"])
    make_public_client(runtime, "spa")
    make_daemon(runtime, "daemon")
    make_client(runtime, "hybrid", response_types=["code", "code id_token", "code token"])
    make_client(
        runtime,
        "legacy",
        grant_types=["implicit"],
        response_types=["id_token", "id_token token"],
    )
    return runtime.provider


def id_token(provider: Provider, *, issuer: str | None = None, subject: str = "user-1") -> str:
    return mint_id_token(
        provider.keys.keyring(),
        alg="RS256",
        issuer=issuer or provider.config.issuer,
        subject=subject,
        client_id="web",
        now=provider.clock(),
        lifetime=60,
        auth_time=provider.clock(),
        nonce=None,
        sid=None,
        amr=(),
        acr=None,
        access_token=None,
        extra_claims={},
    )


# Each row: the step, the client already established (or None), the parameters, and either
# the fields of the request the step fills in or (error class, message fragment).
STEP_CASES: list[Any] = [
    # RFC 6749 §4.1.2.1: the client.
    (client_is_registered, None, {"client_id": "web"}, {"client_id": "web"}),
    (client_is_registered, None, {}, (InvalidRequest, "client_id parameter is required")),
    (client_is_registered, None, {"client_id": "nobody"}, (InvalidRequest, "no application")),
    # RFC 6749 §3.1.2.3, OIDC Core §3.1.2.1: the redirect URI.
    (
        redirect_uri_is_registered,
        "web",
        {"redirect_uri": REDIRECT_URI},
        {"redirect_uri": REDIRECT_URI, "redirect_uri_given": True},
    ),
    (
        redirect_uri_is_registered,
        "web",
        {},
        {"redirect_uri": REDIRECT_URI, "redirect_uri_given": False},
    ),
    (
        redirect_uri_is_registered,
        "web",
        {"scope": "openid"},
        (InvalidRequest, "required in an OpenID Connect request"),
    ),
    (redirect_uri_is_registered, "two-uris", {}, (InvalidRequest, "several registered")),
    (
        redirect_uri_is_registered,
        "web",
        {"redirect_uri": REDIRECT_URI + "/"},
        (InvalidRequest, "is not registered"),
    ),
    (
        redirect_uri_is_registered,
        "spa",
        {"redirect_uri": "http://127.0.0.1:40000/callback"},  # RFC 8252 §7.3: any port
        {"redirect_uri": "http://127.0.0.1:40000/callback"},
    ),
    # RFC 6749 §3.1.1, §4.1.2.1; OAuth 2.0 Multiple Response Types §2.
    (response_type_is_registered, "web", {"response_type": "code"}, {"response_type": "code"}),
    (
        response_type_is_registered,
        "daemon",
        {"response_type": "code"},
        (UnauthorizedClient, "authorization code flow"),
    ),
    (
        response_type_is_registered,
        "web",
        {},
        (InvalidRequest, "response_type parameter is required"),
    ),
    (
        response_type_is_registered,
        "web",
        {"response_type": "token"},
        (UnsupportedResponseType, "'token' is not supported"),
    ),
    (
        response_type_is_registered,
        "web",
        {"response_type": "code code"},
        (UnsupportedResponseType, "not supported"),
    ),
    (
        response_type_is_registered,
        "web",
        {"response_type": "code id_token"},
        (UnauthorizedClient, "not registered for response_type 'code id_token'"),
    ),
    (
        response_type_is_registered,
        "web",
        {"response_type": "id_token"},
        (UnauthorizedClient, "not allowed to use the implicit flow"),
    ),
    (
        response_type_is_registered,
        "hybrid",
        {"response_type": "id_token code"},
        {"response_type": "code id_token"},
    ),
    (
        response_type_is_registered,
        "legacy",
        {"response_type": "token id_token"},
        {"response_type": "id_token token"},
    ),
    (
        response_type_is_registered,
        "legacy",
        {"response_type": "code"},
        (UnauthorizedClient, "authorization code flow"),
    ),
    # OIDC Core §6, §3.1.2.6.
    (no_request_objects, "web", {}, {}),
    (no_request_objects, "web", {"request": "e30.e30."}, (RequestNotSupported, "request obj")),
    (no_request_objects, "web", {"request_uri": "urn:x"}, (RequestUriNotSupported, "request_uri")),
    (no_request_objects, "web", {"registration": "{}"}, (RegistrationNotSupported, "registration")),
    # OAuth 2.0 Multiple Response Types §2.1, Form Post Response Mode §2 (for code; the
    # types that return tokens: test_response_modes_of_token_types).
    (response_mode_is_allowed, "web", {}, {"response_mode": "query"}),
    (response_mode_is_allowed, "web", {"response_mode": "query"}, {"response_mode": "query"}),
    (
        response_mode_is_allowed,
        "web",
        {"response_mode": "fragment"},
        {"response_mode": "fragment"},
    ),
    (
        response_mode_is_allowed,
        "web",
        {"response_mode": "form_post"},
        {"response_mode": "form_post"},
    ),
    (
        response_mode_is_allowed,
        "web",
        {"response_mode": "query.jwt"},
        (InvalidRequest, "response_mode 'query.jwt' is not supported"),
    ),
    # RFC 8707 §2.
    (resources_are_allowed, "web", {}, {"resources": ()}),
    (resources_are_allowed, "web", {"resource": ORDERS_API}, {"resources": (ORDERS_API,)}),
    (
        resources_are_allowed,
        "web",
        {"resource": "https://unknown.example.com"},
        (InvalidTarget, "not a registered API"),
    ),
    # RFC 6749 §3.3.
    (scope_is_allowed, "web", {"scope": "openid email"}, {"scopes": ("openid", "email")}),
    (
        scope_is_allowed,
        "web",
        {"scope": "openid orders.read"},
        {"scopes": ("openid", f"{ORDERS_API}/orders.read")},
    ),
    (scope_is_allowed, "web", {}, (InvalidScope, "scope parameter is required")),
    (scope_is_allowed, "web", {"scope": "openid phone"}, (InvalidScope, "may not request phone")),
    # RFC 7636 §4.3, RFC 9700 §2.1.1.
    (
        pkce_is_valid,
        "spa",
        {"code_challenge": CHALLENGE, "code_challenge_method": "S256"},
        {"code_challenge": CHALLENGE},
    ),
    (pkce_is_valid, "web", {}, {"code_challenge": None}),
    (pkce_is_valid, "spa", {}, (InvalidRequest, "code_challenge is required")),
    (
        pkce_is_valid,
        "web",
        {"code_challenge": CHALLENGE, "code_challenge_method": "plain"},
        (InvalidRequest, "S256"),
    ),
    # OIDC Core §3.1.2.1: nonce and login_hint.
    (
        state_nonce_and_hint,
        "web",
        {"nonce": "n-1", "login_hint": "alice"},
        {"nonce": "n-1", "login_hint": "alice"},
    ),
    (state_nonce_and_hint, "web", {}, {"nonce": None, "login_hint": None}),
    (state_nonce_and_hint, "web", {"login_hint": "a" * 300}, {"login_hint": "a" * 255}),
    (
        state_nonce_and_hint,
        "web",
        {"nonce": "n" * (MAX_NONCE_LENGTH + 1)},
        (InvalidRequest, f"longer than {MAX_NONCE_LENGTH}"),
    ),
    # OIDC Core §3.1.2.1: ui_locales, kept in order; tags no page has are no error.
    (ui_locales_are_kept, "web", {}, {"ui_locales": ()}),
    (ui_locales_are_kept, "web", {"ui_locales": "de-CH  fr"}, {"ui_locales": ("de-CH", "fr")}),
    (
        ui_locales_are_kept,
        "web",
        {"ui_locales": "tlh x-klingon"},
        {"ui_locales": ("tlh", "x-klingon")},
    ),
    (
        ui_locales_are_kept,
        "web",
        {"ui_locales": " ".join(["de", "x" * 36, *[f"l{i}" for i in range(20)]])},
        {"ui_locales": ("de", "l0", "l1", "l2", "l3", "l4", "l5")},
    ),
    # OIDC Core §3.1.2.1: prompt.
    (prompt_is_valid, "web", {}, {"prompt": ()}),
    (prompt_is_valid, "web", {"prompt": "login consent"}, {"prompt": ("login", "consent")}),
    (prompt_is_valid, "web", {"prompt": "login  login"}, {"prompt": ("login",)}),
    (prompt_is_valid, "web", {"prompt": "create"}, (InvalidRequest, "unsupported prompt value")),
    (prompt_is_valid, "web", {"prompt": "none login"}, (InvalidRequest, "cannot be combined")),
    # OIDC Core §3.1.2.1: max_age.
    (max_age_is_valid, "web", {}, {"max_age": None}),
    (max_age_is_valid, "web", {"max_age": "0"}, {"max_age": 0}),
    (max_age_is_valid, "web", {"max_age": "3600"}, {"max_age": 3600}),
    (max_age_is_valid, "web", {"max_age": "-1"}, (InvalidRequest, "non-negative")),
    (max_age_is_valid, "web", {"max_age": "\u00b2"}, (InvalidRequest, "non-negative")),
    (max_age_is_valid, "web", {"max_age": "1" * 11}, (InvalidRequest, "non-negative")),
    # OIDC Core §3.1.2.1: acr_values, known classes only, in order of preference.
    (acr_values_are_read, "web", {}, {"acr_values": ()}),
    (
        acr_values_are_read,
        "web",
        {"acr_values": "phr urn:example:gold urn:gatehouse:acr:mfa phr"},
        {"acr_values": ("phr", "urn:gatehouse:acr:mfa")},
    ),
    (acr_values_are_read, "web", {"acr_values": " "}, {"acr_values": ()}),
    # OIDC Core §5.5: the claims parameter, normalised; §5.5.1.1: its acr values join.
    (claims_are_read, "web", {}, {"claims": None, "acr_values": ()}),
    (
        claims_are_read,
        "web",
        {"claims": '{"userinfo": {"email": null}, "other": 1}'},
        {"claims": {"userinfo": {"email": {}}}},
    ),
    (
        claims_are_read,
        "web",
        {"claims": '{"id_token": {"acr": {"essential": true, "values": ["phr", "urn:x"]}}}'},
        {
            "claims": {"id_token": {"acr": {"essential": True, "values": ["phr", "urn:x"]}}},
            "acr_values": ("phr",),
        },
    ),
    (claims_are_read, "web", {"claims": "[1]"}, (InvalidRequest, "must be a JSON object")),
    (claims_are_read, "web", {"claims": "{"}, (InvalidRequest, "not valid JSON")),
    # OIDC Core §3.1.2.1: id_token_hint (the valid one is below: it needs a signed token).
    (id_token_hint_is_ours, "web", {}, {"id_token_hint_sub": None}),
    (
        id_token_hint_is_ours,
        "web",
        {"id_token_hint": "not.a.token"},
        (InvalidRequest, "not an ID token issued by this server"),
    ),
]


def _draft(provider: Provider, client_id: str | None, params: dict[str, str]) -> Draft:
    client = provider.clients.get(client_id) if client_id is not None else None
    return Draft(params=Parameters(params), client=client)


@pytest.mark.parametrize(
    ("step", "client_id", "params", "expected"),
    [pytest.param(*case, id=f"{case[0].__name__}-{i}") for i, case in enumerate(STEP_CASES)],
)
def test_step(
    provider: Provider,
    step: Any,
    client_id: str | None,
    params: dict[str, str],
    expected: dict[str, Any] | tuple[type[OAuthError], str],
) -> None:
    draft = _draft(provider, client_id, params)
    if isinstance(expected, tuple):
        error, fragment = expected
        with pytest.raises(error, match=fragment) as caught:
            step(provider, draft)
        assert type(caught.value) is error
        assert caught.value.redirect is None  # a step never decides where its error goes
        return
    step(provider, draft)
    for name, value in expected.items():
        assert getattr(draft.request, name) == value, name


@pytest.mark.parametrize(
    ("issuer", "accepted"),
    [pytest.param(None, True, id="ours"), pytest.param("https://elsewhere.example", False)],
)
def test_id_token_hint_names_the_expected_user(
    provider: Provider, issuer: str | None, accepted: bool
) -> None:
    draft = _draft(provider, "web", {"id_token_hint": id_token(provider, issuer=issuer)})
    if accepted:
        id_token_hint_is_ours(provider, draft)
        assert draft.request.id_token_hint_sub == "user-1"
    else:
        with pytest.raises(InvalidRequest, match="not an ID token issued by this server"):
            id_token_hint_is_ours(provider, draft)


@pytest.mark.parametrize(
    ("response_type", "mode", "expected"),
    [
        ("code id_token", None, "fragment"),
        ("code id_token", "form_post", "form_post"),
        ("code token", "fragment", "fragment"),
        ("id_token", None, "fragment"),
        ("id_token token", "form_post", "form_post"),
        ("code id_token", "query", None),
        ("id_token token", "query", None),
    ],
)
def test_response_modes_of_token_types(
    provider: Provider, response_type: str, mode: str | None, expected: str | None
) -> None:
    """Multiple Response Types §5: tokens never travel in the query; the fragment is their
    default."""
    draft = _draft(provider, "hybrid", {"response_mode": mode} if mode else {})
    draft.request = replace(draft.request, response_type=response_type)
    if expected is None:
        with pytest.raises(InvalidRequest, match="use fragment or form_post"):
            response_mode_is_allowed(provider, draft)
    else:
        response_mode_is_allowed(provider, draft)
        assert draft.request.response_mode == expected


@pytest.mark.parametrize(
    ("response_type", "scope", "nonce", "problem"),
    [
        ("code", "openid", None, None),
        ("code token", "openid", None, None),
        ("code id_token", "openid", "n", None),
        ("code id_token", "openid", None, "nonce is required"),
        ("id_token token", "openid", None, "nonce is required"),
        ("id_token", "openid", None, "nonce is required"),
        ("code id_token", "email", "n", "must include openid"),
    ],
)
def test_an_id_token_from_the_endpoint_needs_openid_and_a_nonce(
    provider: Provider, response_type: str, scope: str, nonce: str | None, problem: str | None
) -> None:
    """OIDC Core §3.2.2.1, §3.3.2.11."""
    params = {"scope": scope, **({"nonce": nonce} if nonce else {})}
    draft = _draft(provider, "hybrid", params)
    draft.request = replace(draft.request, response_type=response_type)
    steps = (scope_is_allowed, state_nonce_and_hint)
    if problem is None:
        for step in steps:
            step(provider, draft)
        assert draft.request.nonce == nonce
        return
    with pytest.raises(OAuthError, match=problem):
        for step in steps:
            step(provider, draft)


def test_every_step_is_in_one_phase_once() -> None:
    steps = [*TRUST_STEPS, *REQUEST_STEPS]
    assert len(steps) == len(set(steps))
    assert {case[0] for case in STEP_CASES} == set(steps)  # the table covers every step
    assert (client_is_registered, redirect_uri_is_registered) == TRUST_STEPS


# -- The entry points -------------------------------------------------------------------------

SIGNED_OUT = BrowserState(session=None, user=None, binding="browser-1")


def _params(**overrides: str | None) -> Parameters:
    values: dict[str, str | None] = {
        "client_id": "web",
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": "openid email",
        "state": "st",
    }
    values.update(overrides)
    return Parameters({k: v for k, v in values.items() if v is not None})


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        pytest.param({"client_id": "nobody"}, InvalidRequest, id="unknown-client"),
        pytest.param({"redirect_uri": "https://evil.example/cb"}, InvalidRequest, id="foreign-uri"),
    ],
)
def test_trust_errors_stay_at_gatehouse(
    provider: Provider, overrides: dict[str, str], error: type[OAuthError]
) -> None:
    with pytest.raises(error) as caught:
        authorize.authorize(provider, _params(**overrides), SIGNED_OUT)
    assert caught.value.redirect is None


@pytest.mark.parametrize(
    ("overrides", "error", "state"),
    [
        pytest.param({"response_type": "token"}, UnsupportedResponseType, "st", id="type"),
        pytest.param({"scope": "openid phone"}, InvalidScope, "st", id="scope"),
        pytest.param({"prompt": "none login", "state": None}, InvalidRequest, None, id="no-state"),
    ],
)
def test_request_errors_are_addressed_to_the_client(
    provider: Provider, overrides: dict[str, str | None], error: type[OAuthError], state: str | None
) -> None:
    """RFC 6749 §4.1.2.1: once the client and redirect URI are trusted, errors go there."""
    with pytest.raises(error) as caught:
        authorize.authorize(provider, _params(**overrides), SIGNED_OUT)
    redirect = caught.value.redirect
    assert redirect is not None
    assert (redirect.redirect_uri, redirect.state) == (REDIRECT_URI, state)


def test_a_valid_request_without_a_session_pauses_for_login(provider: Provider) -> None:
    outcome = authorize.authorize(provider, _params(nonce="n"), SIGNED_OUT)
    assert isinstance(outcome, InteractionNeeded)
    assert outcome.kind == "login"
    assert outcome.request.scopes == ("openid", "email")
    assert outcome.request.state == "st" and outcome.request.nonce == "n"


@pytest.mark.parametrize(
    ("query", "addressed"),
    [
        pytest.param("client_id=web&state=s&state=t", True, id="duplicate-state"),
        pytest.param("client_id=web&client_id=web", False, id="duplicate-client-id"),
        pytest.param(
            f"client_id=web&redirect_uri={REDIRECT_URI}&redirect_uri=x", False, id="two-uris"
        ),
        pytest.param("client_id=nobody&scope=a&scope=b", False, id="unknown-client"),
    ],
)
def test_malformed_requests_reach_the_client_only_when_it_is_trusted(
    provider: Provider, query: str, addressed: bool
) -> None:
    with pytest.raises(MalformedParameters) as caught:
        parse_query_or_form(query.encode())
    error = address_malformed(provider, caught.value)
    assert error is caught.value
    if addressed:
        assert error.redirect is not None
        assert error.redirect.redirect_uri == REDIRECT_URI
    else:
        assert error.redirect is None
