"""RP-Initiated Logout: the end-session endpoint."""

from __future__ import annotations

import base64
import json
from typing import Any
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


def _refresh(http: TestClient, client: dict[str, object], refresh_token: object) -> int:
    response = http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(str(client["client_id"]), str(client["client_secret"])),
    )
    return response.status_code


def test_signing_in_again_keeps_one_session_that_sign_out_ends(
    runtime: Runtime, http: TestClient
) -> None:
    """prompt=login in a signed-in browser renews its session (same sid, new cookie), so the
    refresh tokens of both sign-ins end at sign-out; none is left on an orphaned session."""
    client = make_client(runtime, post_logout_redirect_uris=[LOGGED_OUT])
    make_user(runtime)
    first = run_flow(http, scope="openid profile")
    first_tokens = redeem(http, first.params["code"], first.verifier, client).json()
    first_cookie = http.cookies["gh_session"]
    again = run_flow(http, scope="openid profile", prompt="login")
    again_tokens = redeem(http, again.params["code"], again.verifier, client).json()
    assert http.cookies["gh_session"] != first_cookie  # a new value after every sign-in
    assert _claims(again_tokens["id_token"])["sid"] == _claims(first_tokens["id_token"])["sid"]
    assert (
        _claims(again_tokens["id_token"])["auth_time"]
        >= _claims(first_tokens["id_token"])["auth_time"]
    )

    http.get("/logout", params={"id_token_hint": again_tokens["id_token"]})

    assert _refresh(http, client, first_tokens["refresh_token"]) == 400
    assert _refresh(http, client, again_tokens["refresh_token"]) == 400


def test_another_person_signing_in_ends_the_first_persons_session(
    runtime: Runtime, http: TestClient
) -> None:
    client = make_client(runtime)
    make_user(runtime)
    make_user(runtime, username="bob")
    alice = run_flow(http, scope="openid profile")
    alice_tokens = redeem(http, alice.params["code"], alice.verifier, client).json()
    bob = run_flow(http, scope="openid profile", prompt="login", login="bob")
    bob_tokens = redeem(http, bob.params["code"], bob.verifier, client).json()
    assert _claims(bob_tokens["id_token"])["sid"] != _claims(alice_tokens["id_token"])["sid"]
    assert _refresh(http, client, alice_tokens["refresh_token"]) == 400
    assert _refresh(http, client, bob_tokens["refresh_token"]) == 200


def test_a_post_without_the_session_cookie_ends_the_session_the_hint_names(
    runtime: Runtime, http: TestClient
) -> None:
    """A cross-site form POST does not carry the SameSite=Lax cookie: the verified hint's sid
    says which session to end."""
    client = make_client(runtime, post_logout_redirect_uris=[LOGGED_OUT])
    make_user(runtime)
    result = run_flow(http, scope="openid profile")
    tokens = redeem(http, result.params["code"], result.verifier, client).json()
    cookie = http.cookies["gh_session"]
    http.cookies.delete("gh_session")

    response = http.post(
        "/logout",
        data={"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": LOGGED_OUT},
    )

    assert response.status_code == 303 and response.headers["location"] == LOGGED_OUT
    assert _refresh(http, client, tokens["refresh_token"]) == 400
    http.cookies.set("gh_session", cookie)
    assert not _prompt_none_works(http)


def _claims(id_token: object) -> dict[str, Any]:
    payload = str(id_token).split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
