"""Resource indicators and API scopes in the code flow: which API a token is for, its scope
claim, and the invalid_target errors at /authorize and /token (RFC 8707, RFC 9068 §2.2.3)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.factories import INVOICES_API, ORDERS_API, make_api, make_client, make_user
from tests.support.flow import (
    assert_error_redirect,
    authorize_params,
    query_of,
    redeem,
    sign_in,
    start_authorize,
    submit_consent,
    submit_login,
)
from tests.support.tokens import assert_oauth_error, token_claims, userinfo

HR_API = "https://hr.example.com"
USERINFO = f"{ISSUER}/userinfo"


@pytest.fixture
def shop(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    make_api(runtime, ORDERS_API)
    make_api(runtime, INVOICES_API, scopes=("invoices.read",), roles=())
    make_api(runtime, HR_API, scopes=("hr.read",), roles=())
    return make_client(
        runtime, "shop", scopes=["openid", "offline_access", "orders.read", "invoices.read"]
    )


def code_tokens(
    http: TestClient, client: dict[str, Any], *, resource_at_token: str | None = None, **params: Any
) -> dict[str, Any]:
    response = redeem_response(http, client, resource_at_token=resource_at_token, **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def redeem_response(
    http: TestClient, client: dict[str, Any], *, resource_at_token: str | None = None, **params: Any
) -> Any:
    result = sign_in(http, client["client_id"], **params)
    extra = {"resource": resource_at_token} if resource_at_token else {}
    return redeem(http, result.params["code"], result.verifier, client, **extra)


# -- Registration ----------------------------------------------------------------------------


def test_api_scopes_are_stored_in_canonical_form(shop: dict[str, Any]) -> None:
    assert shop["scope"].split() == [
        "openid",
        "offline_access",
        f"{ORDERS_API}/orders.read",
        f"{INVOICES_API}/invoices.read",
    ]


# -- Authorization with API scopes ----------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"scope": "openid orders.read"},
        {"scope": f"openid {ORDERS_API}/orders.read"},
        {"scope": "openid orders.read", "resource": ORDERS_API},
        {"scope": f"openid {ORDERS_API}/orders.read", "resource": ORDERS_API},
    ],
    ids=["bare", "canonical", "bare-with-resource", "canonical-with-resource"],
)
def test_a_code_for_api_scopes_yields_a_token_for_the_api(
    runtime: Runtime, http: TestClient, shop: dict[str, Any], params: dict[str, str]
) -> None:
    body = code_tokens(http, shop, **params)
    claims = token_claims(runtime, body["access_token"])
    assert claims["aud"] == ORDERS_API
    assert claims["scope"] == "orders.read"  # bare API scope names; no openid
    assert claims["client_id"] == "shop"
    assert body["id_token"]  # openid was granted: the ID token is for the client as usual
    assert token_claims(runtime, body["id_token"])["aud"] == "shop"


def test_the_default_audience_without_api_scopes(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    body = code_tokens(http, shop, scope="openid")
    claims = token_claims(runtime, body["access_token"])
    assert claims["aud"] == USERINFO
    assert claims["scope"] == "openid"
    assert userinfo(http, body["access_token"]).status_code == 200


def test_resource_at_authorize_alone_selects_the_api(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    body = code_tokens(http, shop, scope="openid", resource=ORDERS_API)
    assert token_claims(runtime, body["access_token"])["aud"] == ORDERS_API


def test_an_api_token_is_rejected_by_userinfo_and_a_userinfo_token_works(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    api_token = code_tokens(http, shop, scope="openid orders.read")["access_token"]
    response = userinfo(http, api_token)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_token"
    assert "not for this resource" in response.json()["error_description"]
    # It says what the token is for and exactly what to send instead (issue 11 item 8).
    assert f"this one is for {ORDERS_API}" in response.json()["error_description"]
    assert (
        f"sending resource={USERINFO} with the authorization code or a refresh token"
        in (response.json()["error_description"])
    )
    assert 'error="invalid_token"' in response.headers["www-authenticate"]

    own = code_tokens(http, shop, scope="openid orders.read", resource_at_token=USERINFO)
    claims = token_claims(runtime, own["access_token"])
    assert claims["aud"] == USERINFO
    assert claims["scope"] == "openid"
    info = userinfo(http, own["access_token"])
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == claims["sub"]


def test_resource_userinfo_is_accepted_at_authorize(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    body = code_tokens(
        http,
        shop,
        scope="openid orders.read",
        resource=USERINFO,
        resource_at_token=USERINFO,
    )
    assert token_claims(runtime, body["access_token"])["aud"] == USERINFO


# -- Several APIs in one grant --------------------------------------------------------------


def test_a_grant_with_two_apis_needs_resource_at_token(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    result = sign_in(http, "shop", scope="openid orders.read invoices.read")
    code, verifier = result.params["code"], result.verifier
    response = redeem(http, code, verifier, shop)
    assert_oauth_error(response, "invalid_target", "several APIs")
    # The refused request did not spend the code.
    body = redeem(http, code, verifier, shop, resource=INVOICES_API)
    assert body.status_code == 200, body.text
    claims = token_claims(runtime, body.json()["access_token"])
    assert claims["aud"] == INVOICES_API
    assert claims["scope"] == "invoices.read"


def test_the_response_scope_is_the_scope_of_the_token_issued(
    http: TestClient, shop: dict[str, Any]
) -> None:
    """RFC 6749 §5.1: scope is the access token's: its API's scopes (canonical) and the
    grant's OpenID Connect scopes, never another API's, whichever API the token is for."""
    result = sign_in(http, "shop", scope="openid offline_access orders.read invoices.read")
    body = redeem(http, result.params["code"], result.verifier, shop, resource=ORDERS_API).json()
    assert body["scope"].split() == ["openid", "offline_access", f"{ORDERS_API}/orders.read"]
    refreshed = http.post(
        "/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": body["refresh_token"],
            "resource": INVOICES_API,
        },
        auth=(shop["client_id"], shop["client_secret"]),
    ).json()
    assert refreshed["scope"].split() == [
        "openid",
        "offline_access",
        f"{INVOICES_API}/invoices.read",
    ]


def test_repeated_resource_parameters_are_accepted_at_authorize(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    params, _verifier = authorize_params("shop", scope="openid orders.read invoices.read")
    query = [*params.items(), ("resource", ORDERS_API), ("resource", INVOICES_API)]
    response = http.get("/authorize?" + urlencode(query))
    assert response.status_code in (302, 303), response.text
    assert response.headers["location"].startswith("/login"), response.headers["location"]


def test_two_resources_at_authorize_then_one_at_token(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    params, verifier = authorize_params("shop", scope="openid orders.read invoices.read")
    query = [*params.items(), ("resource", ORDERS_API), ("resource", INVOICES_API)]
    response = http.get("/authorize?" + urlencode(query))
    for _ in range(4):
        location = response.headers["location"]
        if location.startswith("/login"):
            response = submit_login(http, location)
        elif location.startswith("/consent"):
            response = submit_consent(http, location)
        else:
            break
    code = query_of(response.headers["location"])["code"]
    assert_oauth_error(redeem(http, code, verifier, shop), "invalid_target", "several APIs")
    body = redeem(http, code, verifier, shop, resource=ORDERS_API)
    assert body.status_code == 200, body.text
    assert token_claims(runtime, body.json()["access_token"])["aud"] == ORDERS_API


# -- Resources the client may not use --------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "fragment"),
    [
        (HR_API, "may not request tokens"),
        ("https://unknown.example.com", "not a registered API"),
        ("urn:nothing", "not a registered API"),
        ("relative/path", "absolute URI"),
        (f"{ORDERS_API}#frag", "without a fragment"),
    ],
    ids=["not-allowed", "unknown", "unknown-urn", "relative", "fragment"],
)
def test_a_resource_the_client_may_not_use_is_redirected_as_invalid_target(
    http: TestClient, shop: dict[str, Any], resource: str, fragment: str
) -> None:
    response, _ = start_authorize(
        http, "shop", scope="openid orders.read", resource=resource, state="s1"
    )
    params = assert_error_redirect(response, "invalid_target", state="s1")
    assert fragment in params["error_description"]


@pytest.mark.parametrize("resource", ["http://[", "https://[::1", "http://[zz]/api"])
def test_a_malformed_bracketed_host_in_resource_is_invalid_target_everywhere(
    http: TestClient, shop: dict[str, Any], resource: str
) -> None:
    """urlsplit raises ValueError for these (this was a 500 at /authorize and /token)."""
    response, _ = start_authorize(
        http, "shop", scope="openid orders.read", resource=resource, state="s3"
    )
    assert_error_redirect(response, "invalid_target", state="s3")
    result = sign_in(http, "shop", scope="openid orders.read")
    bad = redeem(http, result.params["code"], result.verifier, shop, resource=resource)
    assert_oauth_error(bad, "invalid_target")
    ok = redeem(http, result.params["code"], result.verifier, shop)
    assert ok.status_code == 200, "an invalid_target does not spend the code"


def test_one_bad_resource_among_good_ones_is_invalid_target(
    http: TestClient, shop: dict[str, Any]
) -> None:
    params, _ = authorize_params("shop", scope="openid orders.read", state="s2")
    query = [*params.items(), ("resource", ORDERS_API), ("resource", HR_API)]
    response = http.get("/authorize?" + urlencode(query))
    assert_error_redirect(response, "invalid_target", state="s2")


def test_a_resource_outside_the_grant_is_invalid_target_at_token(
    http: TestClient, shop: dict[str, Any]
) -> None:
    result = sign_in(http, "shop", scope="openid orders.read")
    for resource in (HR_API, INVOICES_API, "https://unknown.example.com"):
        response = redeem(http, result.params["code"], result.verifier, shop, resource=resource)
        assert_oauth_error(response, "invalid_target")
    ok = redeem(http, result.params["code"], result.verifier, shop, resource=ORDERS_API)
    assert ok.status_code == 200, ok.text


def test_two_resources_at_token_is_invalid_target(http: TestClient, shop: dict[str, Any]) -> None:
    result = sign_in(http, "shop", scope="openid orders.read invoices.read")
    body = urlencode(
        [
            ("grant_type", "authorization_code"),
            ("code", result.params["code"]),
            ("redirect_uri", "https://app.example.com/callback"),
            ("code_verifier", result.verifier),
            ("resource", ORDERS_API),
            ("resource", INVOICES_API),
        ]
    )
    response = http.post(
        "/token",
        content=body,
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=("shop", shop["client_secret"]),
    )
    assert_oauth_error(response, "invalid_target", "one resource")


def test_an_api_scope_the_client_may_not_request_is_invalid_scope(
    http: TestClient, shop: dict[str, Any]
) -> None:
    for scope in ("openid orders.write", "openid hr.read", f"openid {HR_API}/hr.read"):
        response, _ = start_authorize(http, "shop", scope=scope, state="s3")
        assert_error_redirect(response, "invalid_scope", state="s3")


def test_a_scope_the_api_dropped_is_no_longer_issued(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    """The client's registration still lists <api>/orders.read after the API drops it: asking
    for it is invalid_scope, and a refresh of an earlier grant leaves it out of the token."""
    from gatehouse.admin.apis import ApiSpec, save_api

    earlier = code_tokens(http, shop, scope="openid offline_access orders.read")
    save_api(runtime, ApiSpec(ORDERS_API, scopes=[("orders.write", "Write")]), create=False)

    response, _ = start_authorize(http, "shop", scope=f"openid {ORDERS_API}/orders.read", state="d")
    params = assert_error_redirect(response, "invalid_scope", state="d")
    assert f"{ORDERS_API} has no scope 'orders.read'" in params["error_description"]

    refreshed = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": earlier["refresh_token"]},
        auth=("shop", shop["client_secret"]),
    )
    assert refreshed.status_code == 200, refreshed.text
    claims = token_claims(runtime, refreshed.json()["access_token"])
    assert claims["aud"] == ORDERS_API
    assert "scope" not in claims


# -- A bare scope name on several APIs --------------------------------------------------------


def test_an_ambiguous_bare_scope_needs_the_resource(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    make_api(runtime, ORDERS_API, scopes=("read",), roles=())
    make_api(runtime, INVOICES_API, scopes=("read",), roles=())
    client = make_client(
        runtime, "both", scopes=["openid", f"{ORDERS_API}/read", f"{INVOICES_API}/read"]
    )
    response, _ = start_authorize(http, "both", scope="openid read", state="s4")
    params = assert_error_redirect(response, "invalid_scope", state="s4")
    assert "several APIs" in params["error_description"]

    body = code_tokens(http, client, scope="openid read", resource=INVOICES_API)
    claims = token_claims(runtime, body["access_token"])
    assert claims["aud"] == INVOICES_API
    assert claims["scope"] == "read"


def test_a_new_api_with_the_same_scope_name_does_not_break_an_existing_client(
    runtime: Runtime, http: TestClient
) -> None:
    """Issue 11 item 8: the README's API and then examples/orders_api's both define
    orders.read. A client registered for one of them keeps signing in with the bare name."""
    make_user(runtime)
    make_api(runtime, ORDERS_API, scopes=("orders.read",), roles=())
    client = make_client(runtime, "shop", scopes=["openid", "orders.read"])
    assert client["scope"] == f"openid {ORDERS_API}/orders.read"
    make_api(runtime, INVOICES_API, scopes=("orders.read",), roles=())

    body = code_tokens(http, client, scope="openid orders.read")
    claims = token_claims(runtime, body["access_token"])
    assert claims["aud"] == ORDERS_API
    assert claims["scope"] == "orders.read"
    assert body["scope"] == f"openid {ORDERS_API}/orders.read"

    # A client registered with the new API's scope gets the new API's.
    other = make_client(runtime, "books", scopes=["openid", f"{INVOICES_API}/orders.read"])
    claims = token_claims(
        runtime, code_tokens(http, other, scope="openid orders.read")["access_token"]
    )
    assert claims["aud"] == INVOICES_API


def test_the_consent_page_describes_api_scopes(
    runtime: Runtime, http: TestClient, shop: dict[str, Any]
) -> None:
    response, _ = start_authorize(http, "shop", scope="openid orders.read")
    after = submit_login(http, response.headers["location"])
    location = after.headers["location"]
    assert location.startswith("/consent"), location
    page = http.get(location)
    assert page.status_code == 200
    assert "Allows orders.read" in page.text


# -- API identifiers nested in one another ---------------------------------------------------

PARENT_API = "https://api.example.com"
CHILD_API = "https://api.example.com/v2"


def test_nested_api_identifiers_are_told_apart(runtime: Runtime, http: TestClient) -> None:
    """A canonical scope belongs to the API whose identifier is everything before its last
    slash, not to any API whose identifier merely prefixes it."""
    make_user(runtime)
    make_api(runtime, PARENT_API, scopes=("read",), roles=())
    make_api(runtime, CHILD_API, scopes=("read", "write"), roles=())
    client = make_client(runtime, "nested", scopes=["openid", f"{CHILD_API}/read", "write"])
    assert client["scope"] == f"openid {CHILD_API}/read {CHILD_API}/write"

    body = code_tokens(http, client, scope=f"openid {CHILD_API}/read")
    claims = token_claims(runtime, body["access_token"])
    assert claims["aud"] == CHILD_API
    assert claims["scope"] == "read"

    # The parent API's scope is not the child's, and the client may not use the parent.
    response, _ = start_authorize(http, "nested", scope=f"openid {PARENT_API}/read", state="n1")
    assert_error_redirect(response, "invalid_scope", state="n1")
    response, _ = start_authorize(http, "nested", scope="openid", resource=PARENT_API, state="n2")
    assert_error_redirect(response, "invalid_target", state="n2")
