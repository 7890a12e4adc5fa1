"""The refresh token grant over HTTP: rotation and reuse detection, the rotation switch, scope
narrowing, expiry, session-bound and offline tokens, the events that revoke them, ID tokens and
resource indicators on refresh (RFC 6749 §6, RFC 9700 §4.14, RFC 8707, OIDC Core §12)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.admin import clients as client_admin
from gatehouse.admin.consents import revoke_consent
from gatehouse.admin.errors import AdminError
from gatehouse.admin.users import delete_user, find_user, set_disabled, set_password
from gatehouse.crypto import sha256_digest
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SessionSelector
from gatehouse.web.app import create_app
from tests.conftest import ISSUER
from tests.support.cookies import SESSION_COOKIE
from tests.support.factories import (
    INVOICES_API,
    ORDERS_API,
    REDIRECT_URI,
    make_api,
    make_client,
    make_public_client,
    make_user,
)
from tests.support.flow import get_tokens, install_clock, past_retry_window, redeem, sign_in
from tests.support.tokens import assert_oauth_error, refresh, token_claims, userinfo

OFFLINE = "openid profile email offline_access"


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


def offline_tokens(
    http: TestClient, client: dict[str, Any], scope: str = OFFLINE
) -> dict[str, Any]:
    body = get_tokens(http, client, scope=scope)
    assert body["refresh_token"], body
    return body


def refreshed(http: TestClient, client: dict[str, Any], token: str, **extra: str) -> dict[str, Any]:
    response = refresh(http, client, token, **extra)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- Rotation and reuse detection (RFC 9700 §4.14.2) -----------------------------------------


def test_rotation_returns_a_new_token_and_the_old_one_then_fails(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    first = offline_tokens(http, web)["refresh_token"]
    body = refreshed(http, web, first)
    assert body["refresh_token"] != first
    assert body["token_type"] == "Bearer"
    assert body["scope"] == OFFLINE
    assert token_claims(runtime, body["access_token"])["client_id"] == "web"
    past_retry_window(runtime)
    assert_oauth_error(refresh(http, web, first), "invalid_grant", "already used")


def test_the_rotated_token_works_once_and_its_successor_works(
    http: TestClient, web: dict[str, Any]
) -> None:
    token = offline_tokens(http, web)["refresh_token"]
    for _ in range(3):
        token = refreshed(http, web, token)["refresh_token"]
    assert refresh(http, web, token).status_code == 200


def test_reuse_of_a_rotated_token_revokes_the_whole_family(
    http: TestClient, web: dict[str, Any]
) -> None:
    # Within the retry window too: the first token's successor was used, so no retry.
    first = offline_tokens(http, web)["refresh_token"]
    second = refreshed(http, web, first)["refresh_token"]
    newest = refreshed(http, web, second)["refresh_token"]
    # An attacker (or the client after a theft) shows the first token again…
    assert_oauth_error(refresh(http, web, first), "invalid_grant", "already used")
    # …and the legitimate newest token of the family stops working too.
    assert_oauth_error(refresh(http, web, newest), "invalid_grant", "invalid, expired or revoked")


def test_reuse_does_not_touch_another_family_of_the_same_user(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    other = offline_tokens(http, web)["refresh_token"]
    first = offline_tokens(http, web)["refresh_token"]
    refreshed(http, web, first)
    past_retry_window(runtime)
    assert refresh(http, web, first).status_code == 400
    assert refresh(http, web, other).status_code == 200


def test_concurrent_use_of_one_token_succeeds_at_most_once(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    # Without the retry window, which would answer the losers as retries (tested below).
    runtime.provider.config = replace(runtime.provider.config, refresh_token_retry_window=0)
    token = offline_tokens(http, web)["refresh_token"]
    count = 6
    barrier = threading.Barrier(count)
    responses: list[Any] = []
    lock = threading.Lock()

    def use() -> None:
        with TestClient(create_app(runtime), base_url=ISSUER) as client:
            barrier.wait(timeout=30)
            response = refresh(client, web, token)
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=use) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(responses) == count
    winners = [r for r in responses if r.status_code == 200]
    assert len(winners) <= 1, [r.text for r in responses]
    for response in responses:
        if response.status_code != 200:
            assert_oauth_error(response, "invalid_grant")
    # Concurrent use is reuse: whatever the winner got is dead as well.
    for winner in winners:
        assert refresh(http, web, winner.json()["refresh_token"]).status_code == 400


def test_without_rotation_the_same_token_keeps_working(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    client_admin.update_client(
        runtime, client_admin.ClientSpec("web", refresh_token_rotation=False)
    )
    token = offline_tokens(http, web)["refresh_token"]
    for _ in range(3):
        body = refreshed(http, web, token)
        assert "refresh_token" not in body
        assert body["access_token"]


def test_without_rotation_revoking_the_token_revokes_every_access_token_it_gave(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """No new refresh-token row holds the jti of an access token issued by a refresh without
    rotation; family revocation must find it all the same."""
    client_admin.update_client(
        runtime, client_admin.ClientSpec("web", refresh_token_rotation=False)
    )
    first = offline_tokens(http, web)
    access_tokens = [first["access_token"]]
    access_tokens += [
        refreshed(http, web, first["refresh_token"])["access_token"] for _ in range(2)
    ]
    assert [userinfo(http, a).status_code for a in access_tokens] == [200, 200, 200]
    revoked = http.post(
        "/revoke",
        data={"token": first["refresh_token"]},
        auth=(web["client_id"], web["client_secret"]),
    )
    assert revoked.status_code == 200
    assert [userinfo(http, a).status_code for a in access_tokens] == [401, 401, 401]


def test_turning_rotation_back_on_rotates_again(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    client_admin.update_client(
        runtime, client_admin.ClientSpec("web", refresh_token_rotation=False)
    )
    token = offline_tokens(http, web)["refresh_token"]
    refreshed(http, web, token)
    client_admin.update_client(runtime, client_admin.ClientSpec("web", refresh_token_rotation=True))
    new = refreshed(http, web, token)["refresh_token"]
    assert new != token
    past_retry_window(runtime)
    assert refresh(http, web, token).status_code == 400


# -- Scope (RFC 6749 §6) -----------------------------------------------------------------------


def test_scope_can_be_narrowed(runtime: Runtime, http: TestClient, web: dict[str, Any]) -> None:
    token = offline_tokens(http, web)["refresh_token"]
    body = refreshed(http, web, token, scope="openid email")
    assert body["scope"] == "openid email"
    assert token_claims(runtime, body["access_token"])["scope"] == "openid email"
    id_claims = token_claims(runtime, body["id_token"])
    assert "email" in id_claims and "name" not in id_claims
    # The new refresh token keeps the whole original grant (RFC 6749 §6).
    again = refreshed(http, web, body["refresh_token"])
    assert again["scope"] == OFFLINE


def test_scope_cannot_be_widened(http: TestClient, web: dict[str, Any]) -> None:
    token = offline_tokens(http, web, scope="openid offline_access")["refresh_token"]
    assert_oauth_error(
        refresh(http, web, token, scope="openid profile"), "invalid_scope", "profile"
    )
    # A refused request does not spend the token.
    assert refresh(http, web, token).status_code == 200


def test_an_empty_scope_is_invalid_scope_not_nothing(http: TestClient, web: dict[str, Any]) -> None:
    token = offline_tokens(http, web)["refresh_token"]
    response = refresh(http, web, token, scope=" ")
    assert_oauth_error(response, "invalid_scope")
    assert refresh(http, web, token).status_code == 200, "the token was not spent"


def test_an_unknown_scope_is_invalid_scope(http: TestClient, web: dict[str, Any]) -> None:
    token = offline_tokens(http, web)["refresh_token"]
    assert_oauth_error(refresh(http, web, token, scope="openid admin"), "invalid_scope", "admin")


# -- Whose token ------------------------------------------------------------------------------


def test_a_token_of_another_client_is_invalid_grant_and_not_spent(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    other = make_client(runtime, "other")
    token = offline_tokens(http, web)["refresh_token"]
    assert_oauth_error(refresh(http, other, token), "invalid_grant", "another client")
    assert refresh(http, web, token).status_code == 200


@pytest.mark.parametrize(
    "token", ["", "nonsense", "a" * 43, "x" * 5000], ids=["empty", "short", "random", "huge"]
)
def test_unknown_tokens_are_invalid_grant(
    http: TestClient, web: dict[str, Any], token: str
) -> None:
    response = refresh(http, web, token)
    assert response.status_code == 400, response.text
    assert response.json()["error"] in ("invalid_grant", "invalid_request")


def test_missing_refresh_token_is_invalid_request(http: TestClient, web: dict[str, Any]) -> None:
    response = http.post(
        "/token", data={"grant_type": "refresh_token"}, auth=("web", web["client_secret"])
    )
    assert_oauth_error(response, "invalid_request", "refresh_token")


def test_a_client_without_the_refresh_grant_cannot_refresh(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    token = offline_tokens(http, web)["refresh_token"]
    client_admin.update_client(
        runtime, client_admin.ClientSpec("web", grant_types=["authorization_code"])
    )
    assert_oauth_error(refresh(http, web, token), "unauthorized_client", "refresh_token")


# -- Lifetimes --------------------------------------------------------------------------------


def test_idle_expiry(runtime: Runtime, http: TestClient, web: dict[str, Any]) -> None:
    clock = install_clock(runtime)
    idle = runtime.provider.config.refresh_token_idle_lifetime
    token = offline_tokens(http, web)["refresh_token"]
    clock.advance(idle - 60)
    token = refreshed(http, web, token)["refresh_token"]  # use restarts the idle window
    clock.advance(idle - 60)
    token = refreshed(http, web, token)["refresh_token"]
    clock.advance(idle + 1)
    assert_oauth_error(refresh(http, web, token), "invalid_grant", "expired")


def test_idle_expiry_without_rotation_is_extended_by_use(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    client_admin.update_client(
        runtime, client_admin.ClientSpec("web", refresh_token_rotation=False)
    )
    clock = install_clock(runtime)
    idle = runtime.provider.config.refresh_token_idle_lifetime
    token = offline_tokens(http, web)["refresh_token"]
    clock.advance(idle - 60)
    refreshed(http, web, token)
    clock.advance(idle - 60)
    refreshed(http, web, token)
    clock.advance(idle + 1)
    assert_oauth_error(refresh(http, web, token), "invalid_grant", "expired")


@pytest.mark.parametrize("rotation", [True, False], ids=["rotation", "no-rotation"])
def test_absolute_expiry_holds_however_often_the_token_is_used(
    runtime: Runtime, http: TestClient, web: dict[str, Any], rotation: bool
) -> None:
    client_admin.update_client(
        runtime, client_admin.ClientSpec("web", refresh_token_rotation=rotation)
    )
    clock = install_clock(runtime)
    config = runtime.provider.config
    token = offline_tokens(http, web)["refresh_token"]
    step = config.refresh_token_idle_lifetime - 60
    elapsed = 0
    while elapsed + step < config.refresh_token_absolute_lifetime:
        clock.advance(step)
        elapsed += step
        token = refreshed(http, web, token).get("refresh_token", token)
    clock.advance(config.refresh_token_absolute_lifetime - elapsed + 1)
    assert_oauth_error(refresh(http, web, token), "invalid_grant", "expired")


# -- Session-bound and offline tokens --------------------------------------------------------


def _end_session(runtime: Runtime, http: TestClient) -> None:
    session_hash = sha256_digest(http.cookies[SESSION_COOKIE])
    which = SessionSelector(id_hash=session_hash)
    runtime.store.sessions.end_sessions(which, runtime.provider.clock(), "logout", "user")


def test_a_session_bound_token_dies_with_the_session_while_offline_lives(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    bound = get_tokens(http, web, scope="openid profile")["refresh_token"]
    offline = offline_tokens(http, web, scope="openid offline_access")["refresh_token"]
    bound = refreshed(http, web, bound)["refresh_token"]
    _end_session(runtime, http)
    assert_oauth_error(refresh(http, web, bound), "invalid_grant", "session")
    assert refresh(http, web, offline).status_code == 200


def test_a_session_bound_token_dies_at_the_session_idle_timeout(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    idle = runtime.provider.config.session_idle_lifetime
    bound = get_tokens(http, web, scope="openid profile")["refresh_token"]
    offline = offline_tokens(http, web, scope="openid offline_access")["refresh_token"]
    clock.advance(idle + 1)
    assert_oauth_error(refresh(http, web, bound), "invalid_grant", "session")
    assert refresh(http, web, offline).status_code == 200


def test_refreshing_keeps_the_session_alive_until_its_absolute_expiry(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    config = runtime.provider.config
    token = get_tokens(http, web, scope="openid profile")["refresh_token"]
    step = config.session_idle_lifetime - 60
    elapsed = 0
    while elapsed + step < config.session_absolute_lifetime:
        clock.advance(step)
        elapsed += step
        token = refreshed(http, web, token)["refresh_token"]
    clock.advance(config.session_absolute_lifetime - elapsed + 1)
    assert_oauth_error(refresh(http, web, token), "invalid_grant", "session")


def test_without_offline_access_a_token_needs_a_session(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    body = get_tokens(http, web, scope="openid profile")
    assert body["refresh_token"]
    # Its successor is bound to the same session.
    successor = refreshed(http, web, body["refresh_token"])["refresh_token"]
    _end_session(runtime, http)
    assert refresh(http, web, successor).status_code == 400


# -- Events that revoke refresh tokens --------------------------------------------------------


def _disable(runtime: Runtime) -> None:
    set_disabled(runtime, "alice", True)


def _change_password(runtime: Runtime) -> None:
    set_password(runtime, "alice", "another long passphrase")


def _revoke_consent(runtime: Runtime) -> None:
    revoke_consent(runtime, "alice", "web")


def _delete(runtime: Runtime) -> None:
    delete_user(runtime, "alice")


@pytest.mark.parametrize(
    "event",
    [_disable, _change_password, _revoke_consent, _delete],
    ids=["user-disabled", "password-changed", "consent-revoked", "user-deleted"],
)
def test_events_revoke_refresh_tokens(
    runtime: Runtime, http: TestClient, web: dict[str, Any], event: Callable[[Runtime], None]
) -> None:
    offline = offline_tokens(http, web)["refresh_token"]
    bound = get_tokens(http, web, scope="openid profile")["refresh_token"]
    event(runtime)
    assert_oauth_error(refresh(http, web, offline), "invalid_grant")
    assert_oauth_error(refresh(http, web, bound), "invalid_grant")


@pytest.mark.parametrize(
    "event",
    [_disable, _change_password, _revoke_consent],
    ids=["user-disabled", "password-changed", "consent-revoked"],
)
def test_events_void_codes_not_yet_redeemed(
    runtime: Runtime, http: TestClient, web: dict[str, Any], event: Callable[[Runtime], None]
) -> None:
    """A code issued before the event is not redeemable after it: it would otherwise give a
    fresh offline refresh token that outlives the password change or the consent."""
    result = sign_in(http, scope=OFFLINE)
    if event is _disable:
        event(runtime)
        set_disabled(runtime, "alice", False)  # back again: the code stays void
    else:
        event(runtime)
    response = redeem(http, result.params["code"], result.verifier, web)
    assert_oauth_error(response, "invalid_grant")
    assert "revoked before it was redeemed" in response.json()["error_description"]


def test_a_sign_in_older_than_the_password_is_refused_without_revocation(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """The grants compare the sign-in time with the password's, not only the revocation done
    by set_password: a code or refresh token minted from a session while the password
    changed (a race the revocation cannot see) is refused too."""
    tokens = offline_tokens(http, web)
    result = sign_in(http, scope=OFFLINE)
    later = int(time.time()) + 5
    alice = find_user(runtime, "alice")
    assert alice.password_hash is not None
    runtime.store.users.set_password(alice.id, alice.password_hash, later)  # the same password
    assert_oauth_error(refresh(http, web, tokens["refresh_token"]), "invalid_grant")
    response = redeem(http, result.params["code"], result.verifier, web)
    assert_oauth_error(response, "invalid_grant")
    assert "password was changed after the sign-in" in response.json()["error_description"]


def test_re_enabling_the_user_does_not_bring_tokens_back(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    token = offline_tokens(http, web)["refresh_token"]
    set_disabled(runtime, "alice", True)
    set_disabled(runtime, "alice", False)
    assert_oauth_error(refresh(http, web, token), "invalid_grant")


def test_a_disabled_user_is_refused_even_if_the_token_was_not_revoked(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """The grant checks the user itself, not only the revocation done by set_disabled."""
    token = offline_tokens(http, web)["refresh_token"]
    runtime.store.users.set_disabled(find_user(runtime, "alice").id, True, int(time.time()))
    assert_oauth_error(refresh(http, web, token), "invalid_grant")


def test_revoking_consent_for_another_client_leaves_these_tokens(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    other = make_client(runtime, "other")
    get_tokens(http, other, scope="openid offline_access")
    token = offline_tokens(http, web)["refresh_token"]
    revoke_consent(runtime, "alice", "other")
    assert refresh(http, web, token).status_code == 200


# -- ID tokens on refresh (OIDC Core §12.2) --------------------------------------------------


def test_a_new_id_token_only_when_openid_is_in_scope(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    first = offline_tokens(http, web)
    original = token_claims(runtime, first["id_token"])
    body = refreshed(http, web, first["refresh_token"])
    claims = token_claims(runtime, body["id_token"])
    assert claims["sub"] == original["sub"]
    assert claims["aud"] == "web"
    assert claims["auth_time"] == original["auth_time"]
    assert claims["iss"] == ISSUER
    assert "nonce" not in claims
    narrowed = refreshed(http, web, body["refresh_token"], scope="profile offline_access")
    assert "id_token" not in narrowed
    assert narrowed["scope"] == "profile offline_access"


def test_no_id_token_when_the_grant_never_had_openid(http: TestClient, web: dict[str, Any]) -> None:
    token = offline_tokens(http, web, scope="profile offline_access")["refresh_token"]
    body = refreshed(http, web, token)
    assert "id_token" not in body
    assert body["refresh_token"]


# -- Resource indicators on refresh (RFC 8707 §2.2) ------------------------------------------


@pytest.fixture
def api_client(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    make_api(runtime, ORDERS_API)
    make_api(runtime, INVOICES_API, scopes=("invoices.read",), roles=())
    return make_client(
        runtime,
        "shop",
        scopes=["openid", "offline_access", "orders.read", "invoices.read"],
    )


def test_resource_on_refresh_picks_the_api(
    runtime: Runtime, http: TestClient, api_client: dict[str, Any]
) -> None:
    body = get_tokens(http, api_client, scope="openid offline_access orders.read")
    assert token_claims(runtime, body["access_token"])["aud"] == ORDERS_API
    token = body["refresh_token"]

    own = refreshed(http, api_client, token, resource=f"{ISSUER}/userinfo")
    claims = token_claims(runtime, own["access_token"])
    assert claims["aud"] == f"{ISSUER}/userinfo"
    assert claims["scope"] == "openid offline_access"
    assert userinfo(http, own["access_token"]).status_code == 200

    api = refreshed(http, api_client, own["refresh_token"], resource=ORDERS_API)
    claims = token_claims(runtime, api["access_token"])
    assert claims["aud"] == ORDERS_API
    assert claims["scope"] == "orders.read"
    assert userinfo(http, api["access_token"]).status_code == 401


@pytest.fixture
def two_api_tokens(
    runtime: Runtime, http: TestClient, api_client: dict[str, Any]
) -> dict[str, Any]:
    result = sign_in(http, "shop", scope="openid offline_access orders.read invoices.read")
    response = redeem(http, result.params["code"], result.verifier, api_client, resource=ORDERS_API)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_refresh_of_a_two_api_grant(
    runtime: Runtime, http: TestClient, api_client: dict[str, Any], two_api_tokens: dict[str, Any]
) -> None:
    assert token_claims(runtime, two_api_tokens["access_token"])["aud"] == ORDERS_API
    token = two_api_tokens["refresh_token"]
    assert_oauth_error(refresh(http, api_client, token), "invalid_target", "several APIs")
    body = refreshed(http, api_client, token, resource=INVOICES_API)
    claims = token_claims(runtime, body["access_token"])
    assert claims["aud"] == INVOICES_API
    assert claims["scope"] == "invoices.read"


@pytest.mark.parametrize(
    "resource",
    ["https://elsewhere.example.com", "not a uri", f"{ORDERS_API}#fragment"],
    ids=["not-in-grant", "not-absolute", "fragment"],
)
def test_a_bad_resource_on_refresh_is_invalid_target_and_does_not_spend_the_token(
    runtime: Runtime,
    http: TestClient,
    api_client: dict[str, Any],
    two_api_tokens: dict[str, Any],
    resource: str,
) -> None:
    token = two_api_tokens["refresh_token"]
    assert_oauth_error(refresh(http, api_client, token, resource=resource), "invalid_target")
    body = refreshed(http, api_client, token, resource=ORDERS_API)
    assert token_claims(runtime, body["access_token"])["aud"] == ORDERS_API


# -- Public clients (RFC 9700 §4.14.2) -------------------------------------------------------


@pytest.fixture
def spa(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_public_client(
        runtime, redirect_uris=[REDIRECT_URI], scopes=["openid", "profile", "offline_access"]
    )


def test_a_public_client_refreshes_with_client_id_only_and_rotates(
    runtime: Runtime, http: TestClient, spa: dict[str, Any]
) -> None:
    first = offline_tokens(http, spa, scope="openid offline_access")["refresh_token"]
    second = refreshed(http, spa, first)["refresh_token"]
    assert second != first
    past_retry_window(runtime)
    assert_oauth_error(refresh(http, spa, first), "invalid_grant", "already used")
    assert_oauth_error(refresh(http, spa, second), "invalid_grant")


def test_a_public_client_cannot_turn_rotation_off(runtime: Runtime, spa: dict[str, Any]) -> None:
    """Without sender-constrained tokens, rotation is what detects a stolen public-client
    refresh token (RFC 9700 §4.14.2: MUST)."""
    with pytest.raises(AdminError, match="rotation"):
        client_admin.update_client(
            runtime, client_admin.ClientSpec("spa", refresh_token_rotation=False)
        )
    with pytest.raises(AdminError, match="rotation"):
        make_public_client(runtime, "spa2", refresh_token_rotation=False)
    make_client(runtime, "server", refresh_token_rotation=False)
    with pytest.raises(AdminError, match="rotation"):
        client_admin.update_client(runtime, client_admin.ClientSpec("server", client_type="public"))


@pytest.mark.parametrize("scope", ["orders.read", f"{ORDERS_API}/orders.read"])
def test_narrowing_to_one_api_by_bare_or_canonical_name(
    runtime: Runtime,
    http: TestClient,
    api_client: dict[str, Any],
    two_api_tokens: dict[str, Any],
    scope: str,
) -> None:
    token = two_api_tokens["refresh_token"]
    body = refreshed(http, api_client, token, scope=f"offline_access {scope}")
    claims = token_claims(runtime, body["access_token"])
    assert claims["aud"] == ORDERS_API
    assert claims["scope"] == "orders.read"
    assert "id_token" not in body
    assert_oauth_error(
        refresh(http, api_client, body["refresh_token"], scope="orders.write"),
        "invalid_scope",
        "orders.write",
    )


# -- A retry of a lost rotation response (GATEHOUSE_REFRESH_TOKEN_RETRY_WINDOW) ----------------


def test_a_retry_within_the_window_is_answered_and_the_lost_successor_dies(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    first = offline_tokens(http, web)["refresh_token"]
    lost = refreshed(http, web, first)["refresh_token"]  # the response never arrived
    clock.advance(runtime.provider.config.refresh_token_retry_window - 1)
    again = refreshed(http, web, first)["refresh_token"]
    assert again not in (first, lost)
    # A second retry of the same token is answered too; the one before it dies in its turn.
    newest = refreshed(http, web, first)["refresh_token"]
    assert_oauth_error(refresh(http, web, again), "invalid_grant", "already used")
    # Showing a replaced successor is reuse: the whole family, newest included, is revoked.
    assert_oauth_error(refresh(http, web, newest), "invalid_grant", "invalid, expired or revoked")
    assert_oauth_error(refresh(http, web, lost), "invalid_grant")


def test_a_replaced_successor_shown_later_revokes_the_family(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    first = offline_tokens(http, web)["refresh_token"]
    lost = refreshed(http, web, first)["refresh_token"]
    kept = refreshed(http, web, first)["refresh_token"]
    assert_oauth_error(refresh(http, web, lost), "invalid_grant", "already used")
    assert_oauth_error(refresh(http, web, kept), "invalid_grant", "invalid, expired or revoked")


def test_a_retry_after_the_window_is_reuse(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    first = offline_tokens(http, web)["refresh_token"]
    second = refreshed(http, web, first)["refresh_token"]
    clock.advance(runtime.provider.config.refresh_token_retry_window + 1)
    assert_oauth_error(refresh(http, web, first), "invalid_grant", "already used")
    assert_oauth_error(refresh(http, web, second), "invalid_grant", "invalid, expired or revoked")


def test_a_retry_after_the_successor_was_used_is_reuse(
    http: TestClient, web: dict[str, Any]
) -> None:
    first = offline_tokens(http, web)["refresh_token"]
    second = refreshed(http, web, first)["refresh_token"]
    third = refreshed(http, web, second)["refresh_token"]
    assert_oauth_error(refresh(http, web, first), "invalid_grant", "already used")
    assert_oauth_error(refresh(http, web, third), "invalid_grant", "invalid, expired or revoked")


def test_a_window_of_zero_turns_retries_off(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    runtime.provider.config = replace(runtime.provider.config, refresh_token_retry_window=0)
    first = offline_tokens(http, web)["refresh_token"]
    second = refreshed(http, web, first)["refresh_token"]
    assert_oauth_error(refresh(http, web, first), "invalid_grant", "already used")
    assert_oauth_error(refresh(http, web, second), "invalid_grant", "invalid, expired or revoked")


def test_concurrent_retries_leave_one_live_successor(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    token = offline_tokens(http, web)["refresh_token"]
    count = 4
    barrier = threading.Barrier(count)
    issued: list[str] = []
    lock = threading.Lock()

    def use() -> None:
        with TestClient(create_app(runtime), base_url=ISSUER) as client:
            barrier.wait(timeout=30)
            response = refresh(client, web, token)
        if response.status_code == 200:
            with lock:
                issued.append(response.json()["refresh_token"])
        else:
            assert_oauth_error(response, "invalid_grant")

    threads = [threading.Thread(target=use) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert issued
    live = [
        value
        for value in issued
        if (record := runtime.store.refresh_tokens.get(sha256_digest(value))) is not None
        and record.used_at is None
        and record.revoked_at is None
    ]
    assert len(live) <= 1
