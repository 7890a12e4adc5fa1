"""The account page's Applications and Offline access: revoking takes effect at the token
endpoint at once. An application the organisation allowed (admin consent) is listed as such,
and nobody withdraws that consent from the account page."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin import admin_consents
from gatehouse.admin import policy as policy_admin
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.support.account import open_account, post_account
from tests.support.factories import make_client, make_user
from tests.support.flow import get_tokens
from tests.support.tenants import server_app, tenant_client, tenant_runtimes


@pytest.fixture
def alice(runtime: Runtime) -> dict[str, Any]:
    return make_user(runtime)


def _refresh(http: TestClient, client: dict[str, Any], token: str) -> Any:
    return http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(client["client_id"], client["client_secret"]),
    )


def _userinfo(http: TestClient, access_token: str) -> int:
    return http.get("/userinfo", headers={"Authorization": f"Bearer {access_token}"}).status_code


def test_the_page_lists_consented_applications_with_their_scopes_described(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    get_tokens(http, make_client(runtime, name="Acme Notes"))
    page = open_account(http)
    assert "Acme Notes" in page.text
    assert "<code>email</code>" in page.text and "<code>profile</code>" in page.text
    assert "Yes, revoke access for Acme Notes" in page.text
    # The account page itself is first party: never listed as an application.
    assert "Your gatehouse account" not in page.text


def test_revoking_an_application_kills_its_refresh_and_access_tokens_at_once(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    client = make_client(runtime, name="Acme Notes")
    other = make_client(runtime, "other", name="Other App")
    tokens = get_tokens(http, client, scope="openid offline_access")
    kept = get_tokens(http, other)
    assert _userinfo(http, tokens["access_token"]) == 200
    page = open_account(http)
    response = post_account(http, "/account/applications/revoke", page, client_id="web")
    assert response.status_code == 303
    assert response.headers["location"] == "/account?done=application#applications"
    refused = _refresh(http, client, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert _userinfo(http, tokens["access_token"]) == 401  # on the deny-list
    # The other application is untouched; the consent is gone, so the next sign-in asks.
    assert _refresh(http, other, kept["refresh_token"]).status_code == 200
    assert runtime.store.consents.get(alice["id"], "web") is None
    shown = http.get(response.headers["location"])
    assert "revoked" in shown.text and "Yes, revoke access for Acme Notes" not in shown.text
    [event] = runtime.store.audit.list(AuditQuery(types=("consent.revoked",)))
    assert (event.actor, event.user_id, event.client_id) == ("user", alice["id"], "web")
    assert event.details == {"refresh_tokens_revoked": 1}


def test_someone_elses_or_an_unknown_consent_cannot_be_revoked(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    make_user(runtime, "bob")
    client = make_client(runtime)
    with TestClient(http.app, base_url=str(http.base_url), follow_redirects=False) as bobs:
        bob_tokens = get_tokens(bobs, client, login="bob")
    page = open_account(http)  # Alice never consented to "web"
    for client_id in ("web", "nonexistent", "gatehouse-account", ""):
        response = post_account(http, "/account/applications/revoke", page, client_id=client_id)
        assert response.status_code == 404, client_id
        assert "no access to revoke" in response.text
    assert _refresh(http, client, bob_tokens["refresh_token"]).status_code == 200


def test_offline_access_is_listed_by_application_and_revoked(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    client = make_client(runtime, name="Acme Notes")
    offline = get_tokens(http, client, scope="openid offline_access")
    online = get_tokens(http, client, scope="openid")
    page = open_account(http)
    assert "Yes, revoke offline access for Acme Notes" in page.text
    response = post_account(http, "/account/offline/revoke", page, client_id="web")
    assert response.status_code == 303
    assert response.headers["location"] == "/account?done=offline#offline"
    assert _refresh(http, client, offline["refresh_token"]).status_code == 400
    assert _userinfo(http, offline["access_token"]) == 401
    # A refresh token tied to the session and the consent stay.
    assert _refresh(http, client, online["refresh_token"]).status_code == 200
    assert runtime.store.consents.get(alice["id"], "web") is not None
    shown = http.get(response.headers["location"])
    assert "No application holds offline access." in shown.text
    [event] = runtime.store.audit.list(AuditQuery(types=("token.revoked",)))
    assert event.details["how"] == "account_page_offline" and event.client_id == "web"


def test_offline_access_of_an_application_that_holds_none_is_refused(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    client = make_client(runtime)
    online = get_tokens(http, client, scope="openid")
    page = open_account(http)
    response = post_account(http, "/account/offline/revoke", page, client_id="web")
    assert response.status_code == 404 and "no offline access" in response.text
    assert _refresh(http, client, online["refresh_token"]).status_code == 200


# -- What the organisation allowed (admin consent, docs/admin-consent.md) ---------------------


def _entry(page_html: str, name: str) -> str:
    """The list item of the applications section that names ``name``."""
    section = page_html.split('id="applications"', 1)[1].split("</section>", 1)[0]
    [item] = [li for li in section.split("\n    <li>")[1:] if f"<strong>{name}</strong>" in li]
    return item


def test_an_application_only_the_organisation_allowed_is_listed_without_a_revoke_button(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    directory = make_client(runtime, "directory", name="Acme Directory")
    admin_consents.grant_admin_consent(runtime, "directory", ["openid", "profile"])
    get_tokens(http, directory, scope="openid profile")  # no consent page: all allowed
    assert runtime.store.consents.get(alice["id"], "directory") is None
    entry = _entry(open_account(http).text, "Acme Directory")
    assert "Allowed by your organisation" in entry
    assert "<code>openid</code>" in entry and "<code>profile</code>" in entry
    assert "<code>email</code>" not in entry  # only what the administrator granted
    assert "Only an administrator can withdraw it: you cannot revoke it here." in entry
    assert "<form" not in entry and "revoke access" not in entry.lower()


def test_an_application_allowed_by_both_shows_each_part_and_revokes_only_the_persons(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    client = make_client(runtime, name="Acme Notes")
    tokens = get_tokens(http, client, scope="openid email offline_access")
    admin_consents.grant_admin_consent(runtime, "web", ["openid", "profile"])
    page = open_account(http)
    entry = _entry(page.text, "Acme Notes")
    organisation, own = entry.split("You also allowed, ", 1)
    assert "Allowed by your organisation" in organisation
    assert "<code>profile</code>" in organisation and "<code>email</code>" not in organisation
    assert "<code>email</code>" in own and "<code>offline_access</code>" in own
    assert "Yes, revoke your own consent for Acme Notes" in own

    response = post_account(http, "/account/applications/revoke", page, client_id="web")
    assert response.status_code == 303
    assert runtime.store.consents.get(alice["id"], "web") is None
    assert _refresh(http, client, tokens["refresh_token"]).status_code == 400
    kept = runtime.store.admin_consents.get("web")
    assert kept is not None and kept.scopes == {"openid", "profile"}
    entry = _entry(http.get(response.headers["location"]).text, "Acme Notes")
    assert "Allowed by your organisation" in entry and "You also allowed" not in entry
    assert "<form" not in entry


def test_a_forged_revoke_of_what_only_the_organisation_allowed_changes_nothing(
    runtime: Runtime, http: TestClient, alice: dict[str, Any]
) -> None:
    directory = make_client(runtime, "directory", name="Acme Directory")
    admin_consents.grant_admin_consent(runtime, "directory", ["openid", "offline_access"])
    tokens = get_tokens(http, directory, scope="openid offline_access")
    before = runtime.store.admin_consents.get("directory")
    page = open_account(http)
    response = post_account(http, "/account/applications/revoke", page, client_id="directory")
    assert response.status_code == 403
    assert "only an administrator can withdraw it" in response.text
    assert runtime.store.admin_consents.get("directory") == before
    assert _refresh(http, directory, tokens["refresh_token"]).status_code == 200
    assert runtime.store.audit.list(AuditQuery(types=("consent.revoked",))) == []


def test_a_multi_tenant_application_s_presence_is_listed_with_what_the_organisation_allowed(
    runtime: Runtime,
) -> None:
    tenants = tenant_runtimes(runtime, "acme", "beta")
    acme, beta = tenants.get("acme"), tenants.get("beta")
    assert acme is not None and beta is not None
    make_client(acme, "orders", name="Acme Orders", multi_tenant=True)
    notes = make_client(acme, "notes", name="Acme Notes", multi_tenant=True)
    make_user(beta, "bob")
    # Beta's administrator added Orders; Bob added Notes by his own consent, which makes a
    # presence that allows nothing by itself.
    admin_consents.grant_admin_consent(beta, "orders", ["openid", "profile"])
    policy_admin.set_policy(beta, ("user_consent_adds_multi_tenant_apps=true",), ())
    http = tenant_client(server_app(tenants), "beta")
    get_tokens(http, notes, scope="openid email", login="bob")
    presence = beta.store.admin_consents.get("notes")
    assert presence is not None and presence.home_tenant == "acme" and not presence.scopes

    page = open_account(http, "bob").text
    orders = _entry(page, "Acme Orders")
    assert "Allowed by your organisation" in orders and "<code>profile</code>" in orders
    assert "<form" not in orders
    own = _entry(page, "Acme Notes")
    assert "Allowed by your organisation" not in own and "<code>email</code>" in own
    assert "Yes, revoke access for Acme Notes" in own
