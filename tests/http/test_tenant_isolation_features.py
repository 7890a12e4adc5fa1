"""Isolation of what came with tenants: groups and app roles, admin consent and admin-only
scopes, upstream identity providers and federation states, and the entra token profile. What
tenant ``home`` has is never seen or used by tenant ``other``, though both have an API, a
client and a person of the same names (the matrix of test_tenant_isolation.py, whose pairs
and fixtures this uses, on SQLite and PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gatehouse.admin import admin_consents, role_assignments
from gatehouse.admin import groups as group_admin
from gatehouse.admin.errors import AdminError
from gatehouse.tenancy import tenant_issuer
from tests.conftest import ISSUER
from tests.http import test_tenant_isolation as matrix
from tests.http.test_tenant_isolation import Side
from tests.support.factories import ORDERS_API, make_api, make_client
from tests.support.federation import (
    ALIAS,
    Upstream,
    configure,
    press_button,
    running_upstream,
)
from tests.support.flow import (
    assert_error_page,
    authorize_params,
    csrf_from,
    get_tokens,
    query_of,
    start_authorize,
    submit_login,
)
from tests.support.tokens import token_claims

# The pairs of tenants of the matrix: (acme, beta), (beta, acme), (default, acme), (acme,
# default), each with a client web and a person alice.
sides, home, other = matrix.sides, matrix.home, matrix.other

READ, DELETE = f"{ORDERS_API}/orders.read", f"{ORDERS_API}/orders.delete"
SCOPES = ["openid", "profile", "offline_access", READ, DELETE]


def _shop(side: Side, **fields: Any) -> dict[str, Any]:
    """The orders API (orders.delete needs an administrator) and the client shop, the same
    in both tenants but for ``fields`` (the API's, then the client's, by name)."""
    api_fields = {k: v for k, v in fields.items() if k == "api_token_profile"}
    make_api(
        side.runtime,
        scopes=("orders.read", "orders.delete"),
        roles=("orders.admin",),
        admin_consent_required=["orders.delete"],
        **({"token_profile": api_fields["api_token_profile"]} if api_fields else {}),
    )
    client_fields = {k: v for k, v in fields.items() if k != "api_token_profile"}
    return make_client(side.runtime, "shop", scopes=SCOPES, **client_fields)


def _after_login(side: Side, scope: str) -> Any:
    response, _verifier = start_authorize(side.http, "shop", scope=scope)
    return submit_login(side.http, response.headers["location"])


# -- Groups and app roles -----------------------------------------------------------------------


def test_a_group_and_its_roles_never_reach_another_tenant_s_tokens(home: Side, other: Side) -> None:
    """alice of home is in engineering, which holds orders.admin; alice of other is in
    nothing: other's tokens for her carry no role and no group, and other does not know the
    group."""
    shops = {side.name: _shop(side, groups_claim="names") for side in (home, other)}
    group_admin.create_group(home.runtime, "engineering")
    group_admin.add_member(home.runtime, "engineering", user="alice")
    role_assignments.assign_app_role(home.runtime, ORDERS_API, "orders.admin", group="engineering")
    role_assignments.assign_app_role(home.runtime, ORDERS_API, "orders.admin", user="alice")

    at_home = get_tokens(home.http, shops[home.name], scope=f"openid {READ}")
    claims = token_claims(home.runtime, at_home["access_token"])
    assert claims["roles"] == ["orders.admin"] and claims["groups"] == ["engineering"]

    elsewhere = get_tokens(other.http, shops[other.name], scope=f"openid {READ}")
    claims = token_claims(other.runtime, elsewhere["access_token"])
    assert "roles" not in claims and "groups" not in claims
    assert "groups" not in token_claims(other.runtime, elsewhere["id_token"])
    with pytest.raises(AdminError, match="no group 'engineering'"):
        group_admin.find_group(other.runtime, "engineering")
    home_group = group_admin.find_group(home.runtime, "engineering")
    with pytest.raises(AdminError):
        group_admin.find_group(other.runtime, home_group.id)
    assert other.runtime.store.groups.role_assignments() == []


def test_a_same_named_group_elsewhere_is_another_group(home: Side, other: Side) -> None:
    for side in (home, other):
        group_admin.create_group(side.runtime, "engineering")
    group_admin.add_member(home.runtime, "engineering", user="alice")
    theirs = group_admin.show_group(other.runtime, "engineering")
    ours = group_admin.show_group(home.runtime, "engineering")
    assert theirs["id"] != ours["id"]
    assert theirs["members"] == [] and [m["user"] for m in ours["members"]] == ["alice"]


# -- Admin consent and admin-only scopes ---------------------------------------------------------


def test_an_admin_consent_skips_the_consent_page_only_in_its_tenant(
    home: Side, other: Side
) -> None:
    for side in (home, other):
        _shop(side)
    admin_consents.grant_admin_consent(home.runtime, "shop", ["openid", "profile"])
    done = _after_login(home, "openid profile")
    assert "code" in query_of(done.headers["location"])
    asked = _after_login(other, "openid profile")
    assert asked.headers["location"].startswith("/consent?")
    assert other.runtime.store.admin_consents.list() == []


def test_an_admin_consent_to_an_admin_only_scope_holds_only_in_its_tenant(
    home: Side, other: Side
) -> None:
    for side in (home, other):
        _shop(side)
    admin_consents.grant_admin_consent(home.runtime, "shop", ["openid", DELETE])
    done = _after_login(home, f"openid {DELETE}")
    assert "code" in query_of(done.headers["location"])
    # Elsewhere orders.delete still needs that tenant's administrator.
    page = other.http.get(_after_login(other, f"openid {DELETE}").headers["location"])
    assert "An administrator must approve this application" in page.text


def test_an_admin_only_scope_of_one_tenant_binds_no_other(home: Side, other: Side) -> None:
    """The same API identifier, admin-only orders.delete at home, not elsewhere: a person
    of the other tenant consents to it themselves."""
    _shop(home)
    make_api(other.runtime, scopes=("orders.read", "orders.delete"))
    make_client(other.runtime, "shop", scopes=SCOPES)
    page = other.http.get(_after_login(other, f"openid {DELETE}").headers["location"])
    assert page.status_code == 200
    assert "An administrator must approve" not in page.text and 'value="allow"' in page.text


# -- Federation ---------------------------------------------------------------------------------


@pytest.fixture
def upstream(sqlite_template: Path, tmp_path: Path) -> Iterator[Upstream]:
    """An upstream gatehouse whose discovery document the button's press reads (nobody
    signs in there here)."""
    downstream = "http://127.0.0.1:18443"  # registered there, never reached
    with running_upstream(sqlite_template, tmp_path / "upstream", downstream) as running:
        yield running


def test_an_upstream_of_one_tenant_is_no_button_and_no_way_in_elsewhere(
    home: Side, other: Side, upstream: Upstream
) -> None:
    configure(home.runtime, upstream)
    params, _ = authorize_params()
    login_at_home = home.http.get("/authorize", params=params).headers["location"]
    assert "Sign in with Example Corp" in home.http.get(login_at_home).text
    login = other.http.get("/authorize", params=params).headers["location"]
    page = other.http.get(login)
    assert "Example Corp" not in page.text and 'name="upstream"' not in page.text
    # Pressing a button the page does not show: the upstream is unknown there.
    data = {
        "csrf_token": csrf_from(page.text),
        "interaction": query_of(login)["interaction"],
        "upstream": ALIAS,
    }
    assert_error_page(other.http.post("/login/federated", data=data), "federation_unknown_upstream")
    assert other.runtime.store.upstreams.list() == []


def test_a_federation_state_started_in_one_tenant_is_refused_at_another_s_callback(
    home: Side, other: Side, upstream: Upstream
) -> None:
    """The upstream's answer, sent (by a mistake or an attacker) to another tenant's
    callback: the state is not that tenant's. Back at home, the state is still good."""
    for side in (home, other):
        configure(side.runtime, upstream)
    response, _verifier = start_authorize(home.http)
    pressed = press_button(home.http, response.headers["location"])
    authorize = pressed.headers["location"]
    params = query_of(authorize)
    assert params["redirect_uri"] == (
        f"{tenant_issuer(ISSUER, home.name)}/login/federated/callback"
    )
    answer = {"state": params["state"], "error": "access_denied"}
    # The same browser at the other tenant's callback.
    with other.http as browser:
        browser.cookies.update(home.http.cookies)
        refused = browser.get("/login/federated/callback", params=answer)
    assert_error_page(refused, "federation_state")
    at_home = home.http.get("/login/federated/callback", params=answer)
    assert_error_page(at_home, "federation_upstream_error")  # the state was recognised


# -- The entra token profile --------------------------------------------------------------------


def test_the_entra_profile_of_one_tenant_shapes_only_its_own_tokens(
    home: Side, other: Side
) -> None:
    shops = {
        home.name: _shop(home, api_token_profile="entra", token_profile="entra"),
        other.name: _shop(other),
    }
    scope = f"openid profile {READ}"
    at_home = get_tokens(home.http, shops[home.name], scope=scope)
    access = token_claims(home.runtime, at_home["access_token"])
    # tid is the tenant's name, and iss its issuer (runtime.py passes the tenant on).
    assert access["tid"] == home.name and access["ver"] == "2.0" and access["scp"] == "orders.read"
    assert access["iss"] == tenant_issuer(ISSUER, home.name)
    id_token = token_claims(home.runtime, at_home["id_token"])
    assert (id_token["tid"], id_token["iss"]) == (home.name, tenant_issuer(ISSUER, home.name))

    elsewhere = get_tokens(other.http, shops[other.name], scope=scope)
    access = token_claims(other.runtime, elsewhere["access_token"])
    assert not {"tid", "oid", "scp", "ver"} & access.keys()
    assert not {"tid", "oid"} & token_claims(other.runtime, elsewhere["id_token"]).keys()
