"""One server, several tenants: /t/{name}/... is tenant name's, everything else the default
tenant's as before; each tenant with its own issuer, discovery document, keys, cookies and
branding; unknown tenants a clear 404; changes seen without a restart."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from gatehouse.admin.tenants import create_tenant, delete_tenant, update_tenant
from gatehouse.keys.jose import unverified_claims
from gatehouse.runtime import Runtime, TenantRuntimes, build_runtime
from gatehouse.tenancy import RESERVED_NAMES, check_tenant_name
from gatehouse.web.app import create_app
from gatehouse.web.tenant_dispatch import TenantDispatch
from tests.conftest import ISSUER
from tests.support.factories import make_client, make_user
from tests.support.flow import authorize_params, follow_to_client, query_of, run_flow
from tests.support.tenants import server_app, tenant_client, tenant_runtimes


@pytest.fixture
def tenants(runtime: Runtime) -> TenantRuntimes:
    return tenant_runtimes(runtime, "acme")


@pytest.fixture
def app(tenants: TenantRuntimes) -> TenantDispatch:
    return server_app(tenants)


@pytest.fixture
def acme(app: TenantDispatch) -> Iterator[TestClient]:
    with tenant_client(app, "acme") as client:
        yield client


@pytest.fixture
def default(app: TenantDispatch) -> Iterator[TestClient]:
    with tenant_client(app, "default") as client:
        yield client


def test_each_tenant_has_its_own_discovery_document_and_keys(
    default: TestClient, acme: TestClient
) -> None:
    ours = default.get("/.well-known/openid-configuration").json()
    theirs = acme.get("/.well-known/openid-configuration").json()
    assert ours["issuer"] == ISSUER
    assert theirs["issuer"] == f"{ISSUER}/t/acme"
    assert theirs["token_endpoint"] == f"{ISSUER}/t/acme/token"
    assert theirs["jwks_uri"] == f"{ISSUER}/t/acme/jwks"
    assert theirs["authorization_endpoint"] == f"{ISSUER}/t/acme/authorize"
    kids = {key["kid"] for key in default.get("/jwks").json()["keys"]}
    acme_kids = {key["kid"] for key in acme.get("/jwks").json()["keys"]}
    assert kids and acme_kids and not kids & acme_kids


def test_a_tenant_signs_people_in_on_its_own_pages(
    tenants: TenantRuntimes, acme: TestClient
) -> None:
    runtime = tenants.get("acme")
    assert runtime is not None
    client = make_client(runtime)
    make_user(runtime)
    result = run_flow(acme, "web")
    assert result.params["iss"] == f"{ISSUER}/t/acme"
    tokens = acme.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": result.params["code"],
            "redirect_uri": "https://app.example.com/callback",
            "code_verifier": result.verifier,
        },
        auth=(client["client_id"], client["client_secret"]),
    )
    assert tokens.status_code == 200, tokens.text
    userinfo = acme.get(
        "/userinfo", headers={"Authorization": f"Bearer {tokens.json()['access_token']}"}
    )
    assert userinfo.json()["preferred_username"] == "alice"
    # Its cookies are its own, below its path.
    jar = {cookie.name: cookie.path for cookie in acme.cookies.jar}
    assert {"gh_csrf_acme", "gh_session_acme"} <= jar.keys()
    assert set(jar.values()) == {"/t/acme"}
    assert all(name.endswith("_acme") for name in jar)


def test_the_login_page_links_below_the_tenant_and_shows_its_branding(
    runtime: Runtime, tenants: TenantRuntimes, acme: TestClient
) -> None:
    update_tenant(
        runtime,
        "acme",
        (
            "display_name=Acme <Corp>",
            "accent_colour=#aa3300",
            "logo_url=https://cdn.example.com/a.svg",
        ),
        (),
    )
    tenants.get("acme")  # this process sees the change at once (another within seconds)
    runtime_of_acme = tenants.get("acme")
    assert runtime_of_acme is not None
    make_client(runtime_of_acme)
    response = acme.get(
        "/authorize",
        params={
            "response_type": "code",
            "client_id": "web",
            "redirect_uri": "https://app.example.com/callback",
            "scope": "openid",
            "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "code_challenge_method": "S256",
        },
    )
    page = acme.get(response.headers["location"])
    html = page.text
    assert 'action="/t/acme/login"' in html
    assert 'href="/t/acme/branding.css"' in html
    assert "Acme &lt;Corp&gt;" in html
    # Beside the name it is decorative (alt=""); alone, it says whose it is.
    assert '<img class="logo" src="https://cdn.example.com/a.svg" alt=""' in html
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' data: https://cdn.example.com;" in csp
    assert "style-src 'self';" in csp and "unsafe-inline" not in csp
    css = acme.get("/branding.css")
    assert css.headers["content-type"].startswith("text/css")
    assert css.text == ":root { --accent: #aa3300; }\n"


def test_a_logo_without_a_display_name_says_whose_it_is(
    runtime: Runtime, tenants: TenantRuntimes, acme: TestClient
) -> None:
    update_tenant(runtime, "acme", ("logo_url=/static/acme.svg",), ())
    page = acme.get("/device", headers={"Accept-Language": "de"})
    assert '<img class="logo" src="/static/acme.svg" alt="Das Logo von acme"' in page.text
    page = acme.get("/device")
    assert '<img class="logo" src="/static/acme.svg" alt="The logo of acme"' in page.text


def test_the_default_tenant_is_served_as_before(default: TestClient, runtime: Runtime) -> None:
    with TestClient(create_app(runtime), base_url=ISSUER) as alone:
        for path in ("/", "/.well-known/openid-configuration", "/jwks", "/login"):
            served, before = default.get(path), alone.get(path)
            assert served.status_code == before.status_code, path
            if path != "/":  # the home page carries a fresh CSRF token
                assert served.content == before.content, path
    assert default.get("/branding.css").status_code == 404


def test_the_default_tenant_is_also_below_t_default_unchanged(
    runtime: Runtime, app: TenantDispatch, acme: TestClient
) -> None:
    """/t/default/... is the default tenant's app, as if the prefix were not there: the
    issuer, endpoints, links and cookies stay the bare ones (for MSAL, which needs an
    authority with a path)."""
    client = make_client(runtime)
    make_user(runtime)
    with TestClient(app, base_url=ISSUER, follow_redirects=False) as browser:
        bare = browser.get("/.well-known/openid-configuration").json()
        aliased = browser.get("/t/default/.well-known/openid-configuration").json()
        assert aliased == bare and aliased["issuer"] == ISSUER
        assert aliased["token_endpoint"] == f"{ISSUER}/token"
        assert browser.get("/t/default/jwks").json() == browser.get("/jwks").json()
        params, verifier = authorize_params()
        started = browser.get("/t/default/authorize", params=params)
        # The login page is the bare one; its form posts to the bare path.
        assert started.headers["location"].startswith("/login?")
        location = follow_to_client(browser, started)
        result = query_of(location)
        assert result["iss"] == ISSUER  # RFC 9207: the one issuer
        tokens = browser.post(
            "/t/default/token",
            data={
                "grant_type": "authorization_code",
                "code": result["code"],
                "redirect_uri": "https://app.example.com/callback",
                "code_verifier": verifier,
            },
            auth=(client["client_id"], client["client_secret"]),
        )
        assert tokens.status_code == 200, tokens.text
        access = tokens.json()["access_token"]
        assert unverified_claims(access)["iss"] == ISSUER
        me = browser.get("/t/default/userinfo", headers={"Authorization": f"Bearer {access}"})
        assert me.json()["preferred_username"] == "alice"
        # The default tenant's cookies, for the whole server as ever; signed in below both.
        assert {c.name: c.path for c in browser.cookies.jar} == {
            "gh_csrf": "/",
            "gh_session": "/",
            "gh_device": "/",
        }
        account = browser.get("/t/default/account")
        assert account.status_code == 200 and 'action="/account/' in account.text
        # Still the default tenant only: acme's session is not the default tenant's, nor
        # the other way round.
        acme.cookies.set("gh_session", browser.cookies["gh_session"])
        assert acme.get("/account").status_code == 303


@pytest.mark.parametrize(
    "path",
    [
        "/t/nope/token",
        "/t/nope/",
        "/t/Acme/jwks",
        "/t/%2e%2e/jwks",
        "/t/a%2fb/jwks",
        "/t/\u0430cme/jwks",
        "/t//jwks",
    ],
)
def test_unknown_tenants_are_a_clear_404(app: TenantDispatch, path: str) -> None:
    with TestClient(app, base_url=ISSUER) as client:
        response = client.post(path) if path.endswith("token") else client.get(path)
        assert response.status_code == 404, response.text
        body = response.json()
        assert body["error"] == "not_found"
        assert "tenant" in body["error_description"] or "no endpoint" in body["error_description"]
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert page.headers["content-type"].startswith("text/html")
        # No tenant's page: it sets no cookie (the default tenant's CSRF cookie included).
        assert "set-cookie" not in page.headers
        assert not client.cookies


def test_an_updated_or_deleted_tenant_is_rebuilt_or_gone(
    runtime: Runtime, tenants: TenantRuntimes, acme: TestClient
) -> None:
    before = tenants.get("acme")
    assert acme.get("/jwks").status_code == 200
    update_tenant(runtime, "acme", ("access_token_lifetime=120",), ())
    rebuilt = tenants.get("acme")
    assert rebuilt is not None and rebuilt is not before
    assert rebuilt.provider.config.access_token_lifetime == 120
    delete_tenant(runtime, "acme")
    assert tenants.get("acme") is None
    response = acme.get("/jwks")
    assert response.status_code == 404
    assert "no tenant 'acme'" in response.json()["error_description"]


def test_another_process_s_change_is_seen_within_the_cache_period(runtime: Runtime) -> None:
    now = [0.0]
    tenants = TenantRuntimes(runtime, seconds=5, clock=lambda: now[0])
    assert tenants.get("acme") is None
    other_process = build_runtime(runtime.settings)
    try:
        create_tenant(other_process, "acme")
    finally:
        other_process.close()
    # A name unknown at the last read is looked up again after a second, not at once: a
    # flood of made-up names costs one read a second.
    now[0] = 0.5
    assert tenants.get("acme") is None
    now[0] = 1.0
    assert tenants.get("acme") is not None
    # A change of a tenant this process has is seen when the view is 5 seconds old.
    other_process = build_runtime(runtime.settings)
    try:
        update_tenant(other_process, "acme", ("access_token_lifetime=120",), ())
    finally:
        other_process.close()
    built = tenants.get("acme")
    assert built is not None and built.provider.config.access_token_lifetime == 3600
    now[0] = 6.0
    rebuilt = tenants.get("acme")
    assert rebuilt is not None and rebuilt.provider.config.access_token_lifetime == 120
    # This process's own changes are seen at once.
    update_tenant(runtime, "acme", ("display_name=Acme",), ())
    rebuilt = tenants.get("acme")
    assert rebuilt is not None and rebuilt.profile is not None
    assert rebuilt.profile.display_name == "Acme"


def test_every_top_level_route_is_a_reserved_name(runtime: Runtime) -> None:
    app = create_app(runtime)
    segments = {
        route.path.strip("/").split("/")[0]
        for route in app.routes
        if isinstance(route, (Route, Mount))
    }
    names = set()
    for segment in segments:
        try:
            names.add(check_tenant_name(segment))
        except ValueError:
            continue  # .well-known, favicon.ico, device_authorization: never a tenant's name
    assert names - {""} <= RESERVED_NAMES
