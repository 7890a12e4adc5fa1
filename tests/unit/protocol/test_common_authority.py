"""protocol/common_authority.py: the rules of the common and organizations authorities —
which tenants they span, when they may not ask, where they send the browser on, and which
tenant's token endpoint answers."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from gatehouse.admin import admin_consents as admin_consent_admin
from gatehouse.admin.tenants import update_tenant
from gatehouse.errors import InvalidGrant, InvalidRequest, UnauthorizedClient
from gatehouse.protocol.common_authority import AuthorityRequest, CommonAuthority
from gatehouse.protocol.messages import Parameters, parse_query_or_form
from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.support.factories import REDIRECT_URI, make_client
from tests.support.tenants import tenant_runtimes


@pytest.fixture
def common(runtime: Runtime) -> Iterator[CommonAuthority]:
    tenants = tenant_runtimes(runtime, "acme", "beta", "gamma")
    acme, beta = tenants.get("acme"), tenants.get("beta")
    assert acme is not None and beta is not None
    make_client(acme, "orders", multi_tenant=True)
    make_client(acme, "payroll")
    admin_consent_admin.grant_admin_consent(beta, "orders")
    update_tenant(runtime, "beta", ("domains=beta.example",), ())
    yield CommonAuthority("common", ISSUER, runtime.store.tenants, runtime.store.multi_tenant)


def _params(**values: str) -> dict[str, str]:
    base = {"client_id": "orders", "redirect_uri": REDIRECT_URI, "scope": "openid"}
    return {**base, **values}


def _request(common: CommonAuthority, **values: str) -> AuthorityRequest:
    return common.authorization_request(parse_query_or_form(urlencode(_params(**values)).encode()))


def test_the_issuer_template_and_the_authoritys_own_address(common: CommonAuthority) -> None:
    assert common.issuer == f"{ISSUER}/t/common"
    assert common.issuer_template == f"{ISSUER}/t/{{tenantid}}"


@pytest.mark.parametrize(
    ("authority", "tenant", "spanned"),
    [("common", "default", True), ("common", "acme", True), ("organizations", "default", False)],
)
def test_which_tenants_an_authority_spans(
    runtime: Runtime, authority: str, tenant: str, spanned: bool
) -> None:
    found = CommonAuthority(authority, ISSUER, runtime.store.tenants, runtime.store.multi_tenant)
    assert found.spanned(tenant) is spanned


def test_only_a_multi_tenant_client_may_use_it(common: CommonAuthority) -> None:
    with pytest.raises(UnauthorizedClient, match="not a multi-tenant application"):
        _request(common, client_id="payroll")
    with pytest.raises(InvalidRequest, match="no application is registered"):
        _request(common, client_id="nobody")


def test_the_browser_goes_on_to_the_tenant_with_the_same_request(common: CommonAuthority) -> None:
    request = _request(common, state="s1", login_hint="old@x.example")
    assert common.tenant_of_login("bob@BETA.example") == "beta"
    assert common.tenant_of_login("bob@nowhere.example") is None
    location = common.continue_at(request, "beta", "bob@beta.example")
    parts = urlsplit(location)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{ISSUER}/t/beta/authorize"
    query = dict(parse_qsl(parts.query))
    assert query["state"] == "s1" and query["client_id"] == "orders"
    assert query["login_hint"] == "bob@beta.example"


def test_with_prompt_none_it_may_not_ask(common: CommonAuthority) -> None:
    assert common.cannot_ask(_request(common)) is None
    refused = common.cannot_ask(_request(common, prompt="none", state="s1"))
    assert refused is not None and refused.error == "interaction_required"
    assert refused.redirect is not None
    assert refused.redirect.redirect_uri == REDIRECT_URI and refused.redirect.state == "s1"
    assert refused.redirect.response_mode == "query"
    fragment = common.cannot_ask(_request(common, prompt="none", response_mode="fragment"))
    assert fragment is not None and fragment.redirect is not None
    assert fragment.redirect.response_mode == "fragment"


def _token(**values: str) -> Parameters:
    return parse_query_or_form(urlencode(values).encode())


def test_the_token_endpoint_routes_by_the_codes_tenant(common: CommonAuthority) -> None:
    code = _token(grant_type="authorization_code", code="beta.abc")
    assert common.token_tenant(code, "orders") == "beta"
    home = _token(grant_type="refresh_token", refresh_token="acme.abc")
    assert common.token_tenant(home, "orders") == "acme"


@pytest.mark.parametrize(
    ("params", "client_id", "error"),
    [
        ({"grant_type": "client_credentials"}, "orders", InvalidRequest),
        ({"grant_type": "authorization_code", "code": "beta.abc"}, None, UnauthorizedClient),
        ({"grant_type": "authorization_code", "code": "beta.abc"}, "payroll", UnauthorizedClient),
        ({"grant_type": "authorization_code", "code": "gamma.abc"}, "orders", InvalidGrant),
        ({"grant_type": "authorization_code", "code": "nowhere.abc"}, "orders", InvalidGrant),
        ({"grant_type": "authorization_code", "code": "abc"}, "orders", InvalidGrant),
        ({"grant_type": "refresh_token"}, "orders", InvalidGrant),
    ],
    ids=["other-grant", "unnamed", "single-tenant", "no-presence", "no-tenant", "default", "none"],
)
def test_the_token_endpoint_refuses(
    common: CommonAuthority, params: dict[str, str], client_id: str | None, error: type
) -> None:
    with pytest.raises(error):
        common.token_tenant(_token(**params), client_id)
