"""RP-Initiated Logout: the end-session endpoint."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.testclient import TestClient

from gatehouse.admin import clients as client_admin
from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_user
from tests.support.flow import csrf_from, redeem, run_flow

LOGGED_OUT = "https://app.example.com/logged-out"


def _signed_in(runtime: Runtime, http: TestClient, **client_fields: object) -> dict[str, object]:
    client = make_client(runtime, post_logout_redirect_uris=[LOGGED_OUT], **client_fields)
    make_user(runtime)
    result = run_flow(http)
    return redeem(http, result.params["code"], result.verifier, client).json()


def _prompt_none_works(http: TestClient) -> bool:
    result = run_flow(http, prompt="none")
    return "code" in result.params


def test_discovery_advertises_end_session_endpoint(http: TestClient) -> None:
    assert http.get("/.well-known/openid-configuration").json()["end_session_endpoint"] == (
        "http://testserver/logout"
    )


def test_id_token_hint_of_the_session_signs_out_and_redirects_with_state(
    runtime: Runtime, http: TestClient
) -> None:
    tokens = _signed_in(runtime, http)
    response = http.get(
        "/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": LOGGED_OUT,
            "state": "s1",
        },
    )
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == LOGGED_OUT
    assert parse_qs(location.query) == {"state": ["s1"]}
    assert not _prompt_none_works(http)


def test_without_hint_the_person_confirms(runtime: Runtime, http: TestClient) -> None:
    _signed_in(runtime, http)
    page = http.get("/logout", params={"client_id": "web", "post_logout_redirect_uri": LOGGED_OUT})
    assert page.status_code == 200 and "Sign out?" in page.text
    assert _prompt_none_works(http), "showing the page must not end the session"
    # A cross-site POST without the CSRF token does nothing.
    forged = http.post("/logout", data={"confirm": "yes"})
    assert forged.status_code == 403
    assert _prompt_none_works(http)
    confirmed = http.post(
        "/logout",
        data={
            "confirm": "yes",
            "csrf_token": csrf_from(page.text),
            "client_id": "web",
            "post_logout_redirect_uri": LOGGED_OUT,
        },
    )
    assert confirmed.status_code == 303 and confirmed.headers["location"] == LOGGED_OUT
    assert not _prompt_none_works(http)


def test_unregistered_post_logout_redirect_uri_is_an_error_page(
    runtime: Runtime, http: TestClient
) -> None:
    tokens = _signed_in(runtime, http)
    response = http.get(
        "/logout",
        params={
            "id_token_hint": tokens["id_token"],
            "post_logout_redirect_uri": "https://evil.example/",
        },
    )
    assert response.status_code == 400
    assert "not registered" in response.text
    assert "location" not in response.headers
    assert _prompt_none_works(http)


def test_forged_id_token_hint_is_rejected(runtime: Runtime, http: TestClient) -> None:
    tokens = _signed_in(runtime, http)
    header, payload, signature = str(tokens["id_token"]).split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    response = http.get("/logout", params={"id_token_hint": forged})
    assert response.status_code == 400
    assert _prompt_none_works(http)


def test_logout_without_a_session_shows_signed_out(runtime: Runtime, http: TestClient) -> None:
    make_client(runtime)
    page = http.get("/logout")
    assert page.status_code == 200 and "signed out" in page.text


def test_session_bound_refresh_token_dies_with_the_session_offline_one_survives(
    runtime: Runtime, http: TestClient
) -> None:
    client = make_client(runtime, post_logout_redirect_uris=[LOGGED_OUT])
    make_user(runtime)
    bound = run_flow(http, scope="openid profile")
    bound_tokens = redeem(http, bound.params["code"], bound.verifier, client).json()
    offline = run_flow(http, scope="openid offline_access")
    offline_tokens = redeem(http, offline.params["code"], offline.verifier, client).json()
    assert bound_tokens["refresh_token"] and offline_tokens["refresh_token"]

    http.get("/logout", params={"id_token_hint": bound_tokens["id_token"]})

    auth = (client["client_id"], client["client_secret"])
    dead = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": bound_tokens["refresh_token"]},
        auth=auth,
    )
    assert dead.status_code == 400 and dead.json()["error"] == "invalid_grant"
    assert "session" in dead.json()["error_description"]
    alive = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": offline_tokens["refresh_token"]},
        auth=auth,
    )
    assert alive.status_code == 200, alive.text


def test_client_update_keeps_post_logout_uris(runtime: Runtime) -> None:
    make_client(runtime, post_logout_redirect_uris=[LOGGED_OUT])
    updated = client_admin.update_client(
        runtime, client_admin.ClientSpec(client_id="web", name="Web")
    )
    assert updated["post_logout_redirect_uris"] == [LOGGED_OUT]
