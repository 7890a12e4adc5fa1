"""The authorization endpoint over HTTP: trust first (error page), then errors redirected with
state and iss, parameter hygiene, prompt/max_age and the interaction with the SSO session
(RFC 6749 §4.1, OIDC Core §3.1.2, RFC 7636, RFC 9207)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from gatehouse.keys.jose import public_keyset, verify_jwt
from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.factories import REDIRECT_URI, make_client, make_public_client, make_user
from tests.support.flow import (
    assert_error_page,
    assert_error_redirect,
    authorize_params,
    error_description,
    install_clock,
    query_of,
    redeem,
    sign_in,
    start_authorize,
    submit_login,
)

STATE = "st-4711"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


# -- Before the redirect URI is trusted: an error page at gatehouse, never a redirect ---------

UNTRUSTED = [
    pytest.param(
        {"client_id": None}, "the client_id parameter is required", id="missing-client_id"
    ),
    pytest.param({"client_id": "nobody"}, "no application is registered", id="unknown-client_id"),
    pytest.param(
        {"redirect_uri": "https://evil.example/callback"}, "is not registered", id="other-host"
    ),
    pytest.param({"redirect_uri": REDIRECT_URI + "/"}, "is not registered", id="trailing-slash"),
    pytest.param(
        {"redirect_uri": "http://app.example.com/callback"}, "is not registered", id="other-scheme"
    ),
    pytest.param(
        {"redirect_uri": REDIRECT_URI + "?next=/admin"}, "is not registered", id="extra-query"
    ),
    pytest.param({"redirect_uri": REDIRECT_URI + "#frag"}, "is not registered", id="fragment"),
    pytest.param(
        {"redirect_uri": "https://APP.example.com/callback"}, "is not registered", id="host-case"
    ),
    pytest.param(
        {"redirect_uri": "https://app.example.com:443/callback"},
        "is not registered",
        id="explicit-port",
    ),
    pytest.param(
        {"redirect_uri": "https://app.example.com/Callback"}, "is not registered", id="path-case"
    ),
    pytest.param(
        {"redirect_uri": "https://app.example.com/x/../callback"},
        "is not registered",
        id="dot-segments",
    ),
    pytest.param(
        {"redirect_uri": "https://app.example.com.evil.example/callback"},
        "is not registered",
        id="suffix-host",
    ),
    pytest.param(
        {"redirect_uri": "https://app.example.com/callback%2F"},
        "is not registered",
        id="encoded-slash",
    ),
    # Other errors do not matter while the redirect URI is not trusted.
    pytest.param(
        {"redirect_uri": "https://evil.example/cb", "response_type": "token"},
        "is not registered",
        id="bad-uri-and-bad-response_type",
    ),
    pytest.param(
        {"client_id": "nobody", "scope": "admin"},
        "no application is registered",
        id="unknown-client-and-bad-scope",
    ),
]


@pytest.mark.parametrize(("overrides", "fragment"), UNTRUSTED)
def test_untrusted_client_or_redirect_uri_shows_an_error_page(
    http: TestClient, web: dict[str, Any], overrides: dict[str, Any], fragment: str
) -> None:
    response, _ = start_authorize(http, state=STATE, **overrides)
    assert_error_page(response, "invalid_request")
    assert fragment in response.text
    assert "evil.example/cb" not in response.headers.get("location", "")


def test_redirect_uri_is_required_when_several_are_registered(
    runtime: Runtime, http: TestClient
) -> None:
    make_client(runtime, redirect_uris=[REDIRECT_URI, "https://app.example.com/other"])
    response, _ = start_authorize(http, redirect_uri=None)
    assert_error_page(response, "invalid_request")
    assert "redirect_uri is required" in response.text


@pytest.mark.parametrize("uri", ["http://[::1", "http://%5B::1", "https://["])
def test_a_malformed_redirect_uri_is_an_error_page(
    runtime: Runtime, http: TestClient, uri: str
) -> None:
    make_client(runtime)
    response, _ = start_authorize(http, redirect_uri=uri)
    assert_error_page(response, "invalid_request")
    assert "location" not in response.headers


def test_an_openid_connect_request_must_name_its_redirect_uri(
    runtime: Runtime, http: TestClient
) -> None:
    """OIDC Core §3.1.2.1: redirect_uri is REQUIRED, even with one registered; the error
    stays at gatehouse."""
    make_client(runtime)
    response, _ = start_authorize(http, redirect_uri=None)
    assert_error_page(response, "invalid_request")
    assert "redirect_uri is required in an OpenID Connect request" in response.text


def test_redirect_uri_may_be_omitted_when_exactly_one_is_registered(
    runtime: Runtime, http: TestClient
) -> None:
    """A plain OAuth request (no openid scope): RFC 6749 §3.1.2.3's exception."""
    client = make_client(runtime)
    make_user(runtime)
    result = sign_in(http, redirect_uri=None, scope="email")
    assert result.location.startswith(REDIRECT_URI + "?")
    # RFC 6749 §4.1.3: it was not in the request, so the token request may leave it out.
    response = http.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": result.params["code"],
            "code_verifier": result.verifier,
        },
        auth=(client["client_id"], client["client_secret"]),
    )
    assert response.status_code == 200, response.text


# -- After trust: errors go to the redirect URI with error, error_description, state and iss --

REDIRECTED = [
    pytest.param(
        {"response_type": None},
        "invalid_request",
        "response_type parameter is required",
        id="missing-response_type",
    ),
    pytest.param(
        {"response_type": "token"},
        "unsupported_response_type",
        "use response_type=code",
        id="response_type-token",
    ),
    # Supported types the client is not registered for, answered in their default mode (the
    # fragment): tests/http/test_response_types.py.
    pytest.param(
        {"scope": None}, "invalid_scope", "scope parameter is required", id="missing-scope"
    ),
    pytest.param(
        {"scope": "openid admin"}, "invalid_scope", "may not request admin", id="unknown-scope"
    ),
    pytest.param(
        {"scope": "openid address"},
        "invalid_scope",
        "may not request address",
        id="scope-not-allowed",
    ),
    pytest.param(
        {"scope": 'openid "quoted"'}, "invalid_scope", "invalid characters", id="malformed-scope"
    ),
    pytest.param(
        {"code_challenge_method": "plain"},
        "invalid_request",
        "'plain' is not supported",
        id="pkce-plain",
    ),
    pytest.param(
        {"code_challenge_method": None},
        "invalid_request",
        "code_challenge_method is required",
        id="pkce-no-method",
    ),
    pytest.param(
        {"code_challenge": None},
        "invalid_request",
        "without code_challenge",
        id="pkce-method-without-challenge",
    ),
    pytest.param(
        {"code_challenge": "short"},
        "invalid_request",
        "43-character",
        id="pkce-challenge-too-short",
    ),
    pytest.param(
        {"code_challenge": "A" * 44},
        "invalid_request",
        "43-character",
        id="pkce-challenge-too-long",
    ),
    pytest.param(
        {"code_challenge": "+" * 43},
        "invalid_request",
        "43-character",
        id="pkce-challenge-bad-chars",
    ),
    pytest.param(
        {"code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\n"},
        "invalid_request",
        "43-character",
        id="pkce-challenge-trailing-newline",
    ),
    pytest.param(
        {"code_challenge_method": "S512"},
        "invalid_request",
        "not supported",
        id="pkce-unknown-method",
    ),
    # request and request_uri are resolved before the redirect URI is trusted: their errors
    # are pages at gatehouse (tests/http/test_par.py, test_request_objects.py).
    pytest.param(
        {"prompt": "bogus"},
        "invalid_request",
        "unsupported prompt value 'bogus'",
        id="prompt-unknown",
    ),
    pytest.param(
        {"prompt": "none login"},
        "invalid_request",
        "prompt=none cannot be combined",
        id="prompt-none-and-login",
    ),
    pytest.param(
        {"prompt": "consent none"},
        "invalid_request",
        "prompt=none cannot be combined",
        id="prompt-consent-and-none",
    ),
    pytest.param({"max_age": "-1"}, "invalid_request", "max_age", id="max_age-negative"),
    pytest.param({"max_age": "ten"}, "invalid_request", "max_age", id="max_age-text"),
    pytest.param({"max_age": "1.5"}, "invalid_request", "max_age", id="max_age-fraction"),
    pytest.param({"max_age": "9" * 30}, "invalid_request", "max_age", id="max_age-huge"),
    pytest.param({"max_age": "١٢"}, "invalid_request", "max_age", id="max_age-non-ascii-digits"),
    pytest.param({"max_age": "²"}, "invalid_request", "max_age", id="max_age-superscript-digit"),
    pytest.param(
        {"response_mode": "query.jwt"},
        "invalid_request",
        "response_mode 'query.jwt' is not supported",
        id="response_mode-jwt",
    ),
    pytest.param({"nonce": "n" * 600}, "invalid_request", "nonce is longer", id="nonce-too-long"),
]


@pytest.mark.parametrize(("overrides", "error", "fragment"), REDIRECTED)
def test_request_errors_redirect_with_state_and_iss(
    http: TestClient, web: dict[str, Any], overrides: dict[str, Any], error: str, fragment: str
) -> None:
    response, _ = start_authorize(http, state=STATE, **overrides)
    assert_error_redirect(response, error, state=STATE)
    assert fragment in error_description(response)


def test_public_client_must_send_a_code_challenge(runtime: Runtime, http: TestClient) -> None:
    make_public_client(runtime, redirect_uris=[REDIRECT_URI])
    response, _ = start_authorize(
        http, "spa", state=STATE, code_challenge=None, code_challenge_method=None
    )
    assert_error_redirect(response, "invalid_request", state=STATE)
    assert "public clients must use PKCE" in error_description(response)


def test_confidential_client_may_skip_pkce(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    result = sign_in(http, code_challenge=None, code_challenge_method=None)
    response = redeem(http, result.params["code"], None, web)
    assert response.status_code == 200, response.text


def test_client_without_the_code_grant_is_unauthorized(runtime: Runtime, http: TestClient) -> None:
    make_client(runtime, "m2m", grant_types=[], redirect_uris=[REDIRECT_URI])
    response, _ = start_authorize(http, "m2m", state=STATE)
    assert_error_redirect(response, "unauthorized_client", state=STATE)
    assert "authorization code flow" in error_description(response)


def test_error_redirect_without_state_has_no_state(http: TestClient, web: dict[str, Any]) -> None:
    response, _ = start_authorize(http, state=None, response_type="token")
    params = assert_error_redirect(response, "unsupported_response_type", state=None)
    assert "state" not in params


def test_state_is_returned_exactly(http: TestClient, web: dict[str, Any]) -> None:
    state = "a b&c=d/é?%"
    response, _ = start_authorize(http, state=state, response_type="token")
    assert_error_redirect(response, "unsupported_response_type", state=state)


def test_error_keeps_the_registered_query_of_the_redirect_uri(
    runtime: Runtime, http: TestClient
) -> None:
    uri = "https://app.example.com/cb?tenant=7"
    make_client(runtime, redirect_uris=[uri])
    response, _ = start_authorize(http, redirect_uri=uri, state=STATE, response_type="token")
    params = assert_error_redirect(
        response, "unsupported_response_type", state=STATE, redirect_uri=uri
    )
    assert params["tenant"] == "7"


def test_unknown_parameters_are_ignored(http: TestClient, web: dict[str, Any]) -> None:
    response, _ = start_authorize(http, foo="bar", ui_locales="de", display="page")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?interaction=")


def test_empty_values_count_as_missing(http: TestClient, web: dict[str, Any]) -> None:
    response, _ = start_authorize(http, state=STATE, response_type="")
    assert_error_redirect(response, "invalid_request", state=STATE)
    assert "response_type parameter is required" in error_description(response)


# -- Parameter hygiene: page when the trust parameters are affected, redirect otherwise ------


def _query(params: list[tuple[str, str]]) -> str:
    return "/authorize?" + urlencode(params)


def _base_pairs(**overrides: Any) -> list[tuple[str, str]]:
    params, _ = authorize_params(state=STATE, **overrides)
    return list(params.items())


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
def test_duplicate_trust_parameter_shows_a_page(
    http: TestClient, web: dict[str, Any], name: str
) -> None:
    pairs = _base_pairs()
    pairs.append((name, dict(pairs)[name]))
    response = http.get(_query(pairs))
    assert_error_page(response, "invalid_request")
    assert f"the {name} parameter was given more than once" in response.text


@pytest.mark.parametrize("name", ["scope", "response_type", "code_challenge", "nonce", "prompt"])
def test_duplicate_parameter_after_trust_redirects(
    http: TestClient, web: dict[str, Any], name: str
) -> None:
    pairs = _base_pairs(prompt="login")
    pairs.append((name, dict(pairs)[name]))
    response = http.get(_query(pairs))
    assert_error_redirect(response, "invalid_request", state=STATE)
    assert f"the {name} parameter was given more than once" in error_description(response)


def test_duplicate_state_redirects_without_state(http: TestClient, web: dict[str, Any]) -> None:
    pairs = [*_base_pairs(), ("state", "other")]
    response = http.get(_query(pairs))
    assert_error_redirect(response, "invalid_request", state=None)


def test_duplicate_parameter_with_an_empty_value_is_still_a_duplicate(
    http: TestClient, web: dict[str, Any]
) -> None:
    pairs = [*_base_pairs(), ("scope", "")]
    response = http.get(_query(pairs))
    assert_error_redirect(response, "invalid_request", state=STATE)


def test_oversized_parameter_after_trust_redirects(http: TestClient, web: dict[str, Any]) -> None:
    response = http.get(_query([*_base_pairs(), ("login_hint", "x" * 5000)]))
    assert_error_redirect(response, "invalid_request", state=STATE)
    assert "login_hint parameter is too long" in error_description(response)


def test_oversized_client_id_shows_a_page(http: TestClient, web: dict[str, Any]) -> None:
    response, _ = start_authorize(http, client_id="c" * 5000)
    assert_error_page(response, "invalid_request")
    assert "too long" in response.text


def test_oversized_parameter_name_is_rejected(http: TestClient, web: dict[str, Any]) -> None:
    response = http.get(_query([*_base_pairs(), ("x" * 300, "1")]))
    assert_error_redirect(response, "invalid_request", state=STATE)


def test_too_many_parameters_redirect(http: TestClient, web: dict[str, Any]) -> None:
    pairs = _base_pairs() + [(f"extra{i}", "1") for i in range(80)]
    response = http.get(_query(pairs))
    assert_error_redirect(response, "invalid_request", state=STATE)
    assert "too many parameters" in error_description(response)


def test_too_many_parameters_before_the_trust_parameters_show_a_page(
    http: TestClient, web: dict[str, Any]
) -> None:
    pairs = [(f"extra{i}", "1") for i in range(80)] + _base_pairs()
    response = http.get(_query(pairs))
    assert_error_page(response, "invalid_request")
    assert "too many parameters" in response.text


def test_nul_byte_after_trust_redirects(http: TestClient, web: dict[str, Any]) -> None:
    response = http.get(_query(_base_pairs()) + "&login_hint=a%00b")
    assert_error_redirect(response, "invalid_request", state=STATE)
    assert "NUL" in error_description(response)


def test_nul_byte_in_client_id_shows_a_page(http: TestClient, web: dict[str, Any]) -> None:
    pairs = [(k, v) for k, v in _base_pairs() if k != "client_id"]
    response = http.get(_query(pairs) + "&client_id=web%00")
    assert_error_page(response, "invalid_request")
    assert "NUL" in response.text


def test_invalid_utf8_after_trust_redirects(http: TestClient, web: dict[str, Any]) -> None:
    response = http.get(_query(_base_pairs()) + "&login_hint=%FF%FE")
    assert_error_redirect(response, "invalid_request", state=STATE)
    assert "UTF-8" in error_description(response)


def test_invalid_utf8_in_redirect_uri_shows_a_page(http: TestClient, web: dict[str, Any]) -> None:
    pairs = [(k, v) for k, v in _base_pairs() if k != "redirect_uri"]
    response = http.get(_query(pairs) + "&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback%C3")
    assert_error_page(response, "invalid_request")
    assert "UTF-8" in response.text


def test_invalid_utf8_in_state_redirects_without_state(
    http: TestClient, web: dict[str, Any]
) -> None:
    pairs = [(k, v) for k, v in _base_pairs() if k != "state"]
    response = http.get(_query(pairs) + "&state=%C3%28")
    assert_error_redirect(response, "invalid_request", state=None)


# -- POST /authorize ---------------------------------------------------------------------------


def test_post_with_a_form_body_works(http: TestClient, web: dict[str, Any]) -> None:
    params, _ = authorize_params(state=STATE)
    response = http.post("/authorize", data=params)
    assert response.status_code == 303
    login = response.headers["location"]
    assert login.startswith("/login?interaction=")
    after = submit_login(http, login)
    assert after.headers["location"].startswith("/consent?interaction=")


def test_post_errors_redirect_like_get(http: TestClient, web: dict[str, Any]) -> None:
    params, _ = authorize_params(state=STATE, response_type="token")
    response = http.post("/authorize", data=params)
    assert_error_redirect(response, "unsupported_response_type", state=STATE)


def test_post_with_another_content_type_shows_a_page(http: TestClient, web: dict[str, Any]) -> None:
    params, _ = authorize_params(state=STATE)
    response = http.post("/authorize", json=params)
    assert_error_page(response, "invalid_request")
    assert "application/x-www-form-urlencoded" in response.text


def test_post_with_an_oversized_body_shows_a_page(http: TestClient, web: dict[str, Any]) -> None:
    params, _ = authorize_params(state=STATE)
    body = "&".join(f"{k}={v}" for k, v in params.items()) + "&pad=" + "x" * (70 * 1024)
    response = http.post(
        "/authorize", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert_error_page(response, "invalid_request")
    assert "too large" in response.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_not_allowed(http: TestClient, web: dict[str, Any], method: str) -> None:
    response = http.request(method, "/authorize")
    assert response.status_code == 405


# -- prompt, max_age and the SSO session -------------------------------------------------------


def test_prompt_none_without_a_session_is_login_required(
    http: TestClient, web: dict[str, Any]
) -> None:
    response, _ = start_authorize(http, state=STATE, prompt="none")
    assert_error_redirect(response, "login_required", state=STATE)


def test_prompt_none_with_a_session_but_no_consent_is_consent_required(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http, scope="openid")
    response, _ = start_authorize(http, state=STATE, prompt="none", scope="openid email")
    params = assert_error_redirect(response, "consent_required", state=STATE)
    assert "email" in params["error_description"]


def test_prompt_none_with_session_and_consent_issues_a_code(
    http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http)
    response, _ = start_authorize(http, state=STATE, prompt="none")
    assert response.status_code == 303
    params = query_of(response.headers["location"])
    assert params["code"] and params["state"] == STATE and params["iss"] == ISSUER
    assert response.headers["location"].startswith(REDIRECT_URI + "?")


def test_prompt_login_forces_the_login_page_despite_a_session(
    http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http)
    response, _ = start_authorize(http, prompt="login")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?interaction=")
    # Without prompt=login, the same session gives a code straight away.
    response, _ = start_authorize(http)
    assert query_of(response.headers["location"])["code"]


def test_prompt_select_account_shows_the_login_page(http: TestClient, web: dict[str, Any]) -> None:
    sign_in(http)
    response, _ = start_authorize(http, prompt="select_account")
    assert response.headers["location"].startswith("/login?interaction=")


def test_prompt_login_then_completing_login_issues_a_code(
    http: TestClient, web: dict[str, Any]
) -> None:
    sign_in(http)
    response, _ = start_authorize(http, prompt="login", state=STATE)
    after = submit_login(http, response.headers["location"])
    params = query_of(after.headers["location"])
    assert params["code"] and params["state"] == STATE and params["iss"] == ISSUER


def _id_token_claims(
    http: TestClient, client: dict[str, Any], code: str, verifier: str
) -> dict[str, Any]:
    response = redeem(http, code, verifier, client)
    assert response.status_code == 200, response.text
    keys = public_keyset(http.get("/jwks").json())
    return verify_jwt(response.json()["id_token"], keys, algorithms=["RS256"])[1]


def test_max_age_exceeded_forces_login_and_auth_time_reflects_the_latest_login(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    first = sign_in(http)
    first_auth_time = _id_token_claims(http, web, first.params["code"], first.verifier)["auth_time"]
    assert first_auth_time == clock.now

    clock.advance(120)
    # Within max_age: SSO, no login page, the original auth_time.
    response, verifier = start_authorize(http, max_age="600")
    params = query_of(response.headers["location"])
    assert _id_token_claims(http, web, params["code"], verifier)["auth_time"] == first_auth_time

    # Beyond max_age: the login page, and then the new auth_time.
    response, verifier = start_authorize(http, max_age="60")
    assert response.headers["location"].startswith("/login?interaction=")
    after = submit_login(http, response.headers["location"])
    params = query_of(after.headers["location"])
    claims = _id_token_claims(http, web, params["code"], verifier)
    assert claims["auth_time"] == clock.now == first_auth_time + 120


def test_max_age_exceeded_with_prompt_none_is_login_required(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    sign_in(http)
    clock.advance(61)
    response, _ = start_authorize(http, prompt="none", max_age="60", state=STATE)
    assert_error_redirect(response, "login_required", state=STATE)


def test_prompt_login_updates_auth_time(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    sign_in(http)
    clock.advance(300)
    response, verifier = start_authorize(http, prompt="login")
    after = submit_login(http, response.headers["location"])
    params = query_of(after.headers["location"])
    assert _id_token_claims(http, web, params["code"], verifier)["auth_time"] == clock.now


def test_login_hint_prefills_the_login_form(http: TestClient, web: dict[str, Any]) -> None:
    response, _ = start_authorize(http, login_hint="alice@example.com")
    page = http.get(response.headers["location"])
    assert 'value="alice@example.com"' in page.text


def test_login_hint_is_escaped(http: TestClient, web: dict[str, Any]) -> None:
    response, _ = start_authorize(http, login_hint='"><script>alert(1)</script>')
    page = http.get(response.headers["location"])
    assert "<script>alert(1)" not in page.text
    assert "&#34;&gt;&lt;script&gt;" in page.text


def test_every_authorization_response_carries_iss(http: TestClient, web: dict[str, Any]) -> None:
    """RFC 9207: success, request errors, login_required and access_denied all carry iss."""
    result = sign_in(http, state=STATE)
    assert result.params["iss"] == ISSUER and result.params["state"] == STATE
    response, _ = start_authorize(http, response_type="token")
    assert query_of(response.headers["location"])["iss"] == ISSUER
    http.cookies.clear()
    response, _ = start_authorize(http, prompt="none")
    assert query_of(response.headers["location"])["iss"] == ISSUER


def test_non_ascii_redirect_uri_is_percent_encoded_in_location(
    runtime: Runtime, http: TestClient
) -> None:
    """A registered IRI goes out as a URI (RFC 3987 §3.1); a raw non-latin-1 Location header
    used to crash the response (500)."""
    uri = "https://app.example.com/回调"
    make_user(runtime)
    make_client(runtime, redirect_uris=[uri])
    response, _ = start_authorize(http, redirect_uri=uri, state=STATE, response_type="token")
    encoded = "https://app.example.com/%E5%9B%9E%E8%B0%83"
    assert_error_redirect(response, "unsupported_response_type", state=STATE, redirect_uri=encoded)
    result = sign_in(http, redirect_uri=uri)
    assert result.location.startswith(encoded + "?code=")


def test_max_age_zero_always_forces_login(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """OIDC Core §3.1.2.1: max_age=0 is equivalent to prompt=login, even within the same
    second as the last login."""
    install_clock(runtime)
    sign_in(http)
    response, verifier = start_authorize(http, max_age="0")
    assert response.headers["location"].startswith("/login?interaction=")
    after = submit_login(http, response.headers["location"])
    params = query_of(after.headers["location"])
    assert (
        _id_token_claims(http, web, params["code"], verifier)["auth_time"]
        == runtime.provider.clock()
    )


def test_the_registration_parameter_is_registration_not_supported(
    runtime: Runtime, http: TestClient
) -> None:
    make_client(runtime)
    response, _ = start_authorize(http, registration='{"client_name":"x"}', state=STATE)
    assert_error_redirect(response, "registration_not_supported", state=STATE)


def test_login_required_says_why(runtime: Runtime, http: TestClient) -> None:
    """prompt=none cannot sign in: the description names the reason, not always "not signed
    in"."""
    make_client(runtime)
    make_user(runtime)
    clock = install_clock(runtime)
    sign_in(http)
    clock.advance(120)
    response, _ = start_authorize(http, prompt="none", max_age="60", state=STATE)
    params = assert_error_redirect(response, "login_required", state=STATE)
    assert "more than max_age=60 seconds ago" in params["error_description"]
