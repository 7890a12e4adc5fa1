"""The account page's Applications and Offline access: revoking takes effect at the token
endpoint at once."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.support.account import open_account, post_account
from tests.support.factories import make_client, make_user
from tests.support.flow import get_tokens


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
