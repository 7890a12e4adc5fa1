"""The token endpoint with the authorization code grant: client authentication, request
errors, code errors, replay and concurrent redemption, and the token response itself
(RFC 6749 §2.3, §3.2, §4.1.3, §5; RFC 7636 §4.6; OIDC Core §3.1.3; RFC 9068)."""

from __future__ import annotations

import base64
import hashlib
import threading
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from gatehouse.admin.users import set_disabled
from gatehouse.crypto import base64url_sha256, sha256_digest
from gatehouse.keys.jose import public_keyset, verify_jwt
from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from gatehouse.web.app import create_app
from tests.conftest import ISSUER
from tests.support.factories import (
    PASSWORD,
    REDIRECT_URI,
    make_client,
    make_public_client,
    make_user,
)
from tests.support.flow import basic_auth, get_tokens, install_clock, redeem, sign_in

BASIC_CHALLENGE = 'Basic realm="gatehouse"'
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


def assert_token_error(response: Any, status: int, error: str, fragment: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error, body
    assert fragment in body["error_description"], body
    if error == "invalid_client":
        assert response.headers["www-authenticate"] == BASIC_CHALLENGE
    assert "Traceback" not in response.text


def code_request(result: Any, **extra: str) -> dict[str, str]:
    data = {
        "grant_type": "authorization_code",
        "code": result.params["code"],
        "redirect_uri": REDIRECT_URI,
        "code_verifier": result.verifier,
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v != "<omit>"}


# -- Client authentication --------------------------------------------------------------------


def test_client_secret_basic(http: TestClient, web: dict[str, Any]) -> None:
    result = sign_in(http)
    response = http.post(
        "/token",
        data=code_request(result),
        headers={"Authorization": basic_auth("web", web["client_secret"])},
    )
    assert response.status_code == 200, response.text


def test_client_secret_post(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    client = make_client(runtime, "poster", auth_method="client_secret_post")
    result = sign_in(http, "poster")
    data = code_request(result, client_id="poster", client_secret=client["client_secret"])
    response = http.post("/token", data=data)
    assert response.status_code == 200, response.text


def test_public_client_with_none(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    make_public_client(runtime, redirect_uris=[REDIRECT_URI])
    result = sign_in(http, "spa")
    response = http.post("/token", data=code_request(result, client_id="spa"))
    assert response.status_code == 200, response.text


def test_basic_credentials_are_form_urlencoded(runtime: Runtime, http: TestClient) -> None:
    """RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding."""
    make_user(runtime)
    secret = "s3cr3t+with/special:chars%41 and spaces & more!"
    make_client(runtime, "svc:reports@example", secret=secret)
    result = sign_in(http, "svc:reports@example")
    raw = base64.b64encode(f"svc:reports@example:{secret}".encode()).decode()
    unencoded = http.post(
        "/token", data=code_request(result), headers={"Authorization": f"Basic {raw}"}
    )
    assert_token_error(unencoded, 401, "invalid_client", "unknown client")
    response = http.post(
        "/token",
        data=code_request(result),
        headers={"Authorization": basic_auth("svc:reports@example", secret)},
    )
    assert response.status_code == 200, response.text
    assert "%3A" in base64.b64decode(basic_auth("svc:reports@example", secret)[6:]).decode()


def _poster(runtime: Runtime) -> dict[str, Any]:
    return make_client(runtime, "poster", auth_method="client_secret_post")


def _public(runtime: Runtime) -> dict[str, Any]:
    return make_public_client(runtime, redirect_uris=[REDIRECT_URI])


CLIENT_AUTH_FAILURES = [
    # (id, setup, form fields, Authorization header, expected description fragment)
    pytest.param(
        None,
        {},
        lambda c: basic_auth("web", "wrong-secret"),
        "wrong client secret",
        id="basic-wrong-secret",
    ),
    pytest.param(
        None, {}, lambda c: basic_auth("web", ""), "wrong client secret", id="basic-empty-secret"
    ),
    pytest.param(
        None,
        {},
        lambda c: basic_auth("nobody", "whatever"),
        "unknown client",
        id="basic-unknown-client",
    ),
    pytest.param(
        None,
        {},
        lambda c: basic_auth("WEB", c["client_secret"]),
        "unknown client",
        id="basic-client-id-case",
    ),
    pytest.param(
        None,
        {"client_id": "web"},
        None,
        "must authenticate with client_secret_basic",
        id="basic-client-sends-nothing",
    ),
    pytest.param(
        None,
        {"client_id": "web", "client_secret": "{secret}"},
        None,
        "must authenticate with client_secret_basic, not client_secret_post",
        id="basic-client-uses-post",
    ),
    pytest.param(
        _poster,
        {"client_id": "poster", "client_secret": "wrong"},
        None,
        "wrong client secret",
        id="post-wrong-secret",
    ),
    pytest.param(
        _poster,
        {},
        lambda c: basic_auth("poster", c["client_secret"]),
        "must authenticate with client_secret_post, not client_secret_basic",
        id="post-client-uses-basic",
    ),
    pytest.param(
        _poster,
        {"client_id": "poster"},
        None,
        "must authenticate with client_secret_post",
        id="post-client-sends-no-secret",
    ),
    pytest.param(None, {"client_id": "nobody"}, None, "unknown client", id="none-unknown-client"),
    pytest.param(None, {}, None, "client authentication is required", id="no-credentials-at-all"),
    pytest.param(
        _public,
        {"client_id": "spa", "client_secret": "guess"},
        None,
        "public client",
        id="public-client-sends-secret",
    ),
    pytest.param(
        _public,
        {},
        lambda c: basic_auth("spa", "guess"),
        "public client",
        id="public-client-uses-basic",
    ),
    pytest.param(
        None, {}, lambda c: "Basic !!!not-base64!!!", "not valid base64", id="basic-not-base64"
    ),
    pytest.param(
        None,
        {},
        lambda c: "Basic " + base64.b64encode(b"no-colon").decode(),
        "client_id:client_secret",
        id="basic-no-colon",
    ),
    pytest.param(
        None,
        {},
        lambda c: "Basic " + base64.b64encode(b":secret").decode(),
        "client_id:client_secret",
        id="basic-empty-id",
    ),
    pytest.param(
        None,
        {},
        lambda c: "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
        "not valid base64",
        id="basic-not-utf8",
    ),
    pytest.param(
        None, {}, lambda c: "Basic", "client_id:client_secret", id="basic-without-credentials"
    ),
    pytest.param(
        None,
        {},
        lambda c: "basic " + base64.b64encode(b"web:wrong").decode(),
        "wrong client secret",
        id="basic-lowercase-scheme",
    ),
]


@pytest.mark.parametrize(("setup", "form", "header", "fragment"), CLIENT_AUTH_FAILURES)
def test_failed_client_authentication_is_401_invalid_client(
    runtime: Runtime,
    http: TestClient,
    web: dict[str, Any],
    setup: Any,
    form: dict[str, str],
    header: Any,
    fragment: str,
) -> None:
    client = setup(runtime) if setup else web
    data = {"grant_type": "authorization_code", "code": "some-code", "redirect_uri": REDIRECT_URI}
    data.update(
        {k: v.replace("{secret}", client.get("client_secret", "")) for k, v in form.items()}
    )
    headers = {"Authorization": header(client)} if header else {}
    response = http.post("/token", data=data, headers=headers)
    assert_token_error(response, 401, "invalid_client", fragment)


def test_failed_authentication_does_not_consume_the_code(
    http: TestClient, web: dict[str, Any]
) -> None:
    result = sign_in(http)
    bad = http.post(
        "/token", data=code_request(result), headers={"Authorization": basic_auth("web", "wrong")}
    )
    assert bad.status_code == 401
    assert redeem(http, result.params["code"], result.verifier, web).status_code == 200


def test_two_authentication_methods_at_once_are_invalid_request(
    http: TestClient, web: dict[str, Any]
) -> None:
    """RFC 6749 §2.3 and §5.2: more than one mechanism is invalid_request."""
    result = sign_in(http)
    response = http.post(
        "/token",
        data=code_request(result, client_secret=web["client_secret"]),
        headers={"Authorization": basic_auth("web", web["client_secret"])},
    )
    assert_token_error(response, 400, "invalid_request", "one client authentication method")


def test_client_id_in_the_body_must_match_basic(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    result = sign_in(http)
    response = http.post(
        "/token",
        data=code_request(result, client_id="other"),
        headers={"Authorization": basic_auth("web", web["client_secret"])},
    )
    assert_token_error(response, 400, "invalid_request", "differs")


def test_expired_or_revoked_secret_is_refused(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    with runtime.database.write() as conn:
        conn.execute(sa.update(t.client_secrets).values(revoked_at=1))
    response = http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x"},
        headers={"Authorization": basic_auth("web", web["client_secret"])},
    )
    assert_token_error(response, 401, "invalid_client", "expired or was revoked")


# -- Request errors ---------------------------------------------------------------------------


def test_missing_grant_type(http: TestClient, web: dict[str, Any]) -> None:
    response = http.post("/token", data={"code": "x"}, auth=("web", web["client_secret"]))
    assert_token_error(response, 400, "invalid_request", "grant_type parameter is required")


# The legacy password grant is known, and refused as unauthorized_client to every client an
# operator did not give it (tests/http/test_legacy_grants.py).
@pytest.mark.parametrize("grant_type", ["implicit", "urn:x:custom", "AUTHORIZATION_CODE", "token"])
def test_unknown_grant_type(http: TestClient, web: dict[str, Any], grant_type: str) -> None:
    response = http.post(
        "/token", data={"grant_type": grant_type}, auth=("web", web["client_secret"])
    )
    assert_token_error(response, 400, "unsupported_grant_type", "is not supported")


def test_grant_the_client_is_not_registered_for(http: TestClient, web: dict[str, Any]) -> None:
    response = http.post(
        "/token", data={"grant_type": "client_credentials"}, auth=("web", web["client_secret"])
    )
    assert_token_error(
        response, 400, "unauthorized_client", "not allowed to use the client_credentials grant"
    )


def test_client_without_the_code_grant(runtime: Runtime, http: TestClient) -> None:
    client = make_client(runtime, "m2m", grant_types=[])
    response = http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "x"},
        auth=("m2m", client["client_secret"]),
    )
    assert_token_error(
        response, 400, "unauthorized_client", "not allowed to use the authorization_code grant"
    )


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(
            b'{"grant_type": "authorization_code"}', {"content-type": "application/json"}, id="json"
        ),
        pytest.param(
            b"grant_type=authorization_code", {"content-type": "text/plain"}, id="text-plain"
        ),
        pytest.param(b"grant_type=authorization_code", {}, id="no-content-type"),
        pytest.param(
            b"--b\r\n", {"content-type": "multipart/form-data; boundary=b"}, id="multipart"
        ),
    ],
)
def test_wrong_content_type(
    http: TestClient, web: dict[str, Any], content: bytes, headers: dict[str, str]
) -> None:
    response = http.post(
        "/token",
        content=content,
        headers={**headers, "Authorization": basic_auth("web", web["client_secret"])},
    )
    assert_token_error(response, 400, "invalid_request", "application/x-www-form-urlencoded")


@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded; charset=UTF-8",
        # RFC 9110 §8.3.1: media types are case-insensitive.
        "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
    ],
)
def test_content_type_with_charset_is_accepted(
    http: TestClient, web: dict[str, Any], content_type: str
) -> None:
    result = sign_in(http)
    response = http.post(
        "/token",
        content=urlencode(code_request(result)).encode(),
        headers={
            "content-type": content_type,
            "Authorization": basic_auth("web", web["client_secret"]),
        },
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("name", ["grant_type", "code", "code_verifier", "redirect_uri"])
def test_duplicate_parameters(http: TestClient, web: dict[str, Any], name: str) -> None:
    result = sign_in(http)
    data = code_request(result)
    body = urlencode([*data.items(), (name, data[name])])
    response = http.post(
        "/token",
        content=body,
        headers={**FORM, "Authorization": basic_auth("web", web["client_secret"])},
    )
    assert_token_error(
        response, 400, "invalid_request", f"the {name} parameter was given more than once"
    )
    # The code survives a rejected request.
    assert redeem(http, result.params["code"], result.verifier, web).status_code == 200


def test_oversized_body(http: TestClient, web: dict[str, Any]) -> None:
    body = b"grant_type=authorization_code&pad=" + b"x" * (70 * 1024)
    response = http.post(
        "/token",
        content=body,
        headers={**FORM, "Authorization": basic_auth("web", web["client_secret"])},
    )
    assert_token_error(response, 400, "invalid_request", "too large")


def test_oversized_body_without_content_length(http: TestClient, web: dict[str, Any]) -> None:
    def chunks() -> Any:
        yield b"grant_type=authorization_code&pad="
        for _ in range(70):
            yield b"x" * 1024

    response = http.post(
        "/token",
        content=chunks(),
        headers={**FORM, "Authorization": basic_auth("web", web["client_secret"])},
    )
    assert_token_error(response, 400, "invalid_request", "too large")


def test_oversized_parameter(http: TestClient, web: dict[str, Any]) -> None:
    response = http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": "c" * 5000},
        auth=("web", web["client_secret"]),
    )
    assert_token_error(response, 400, "invalid_request", "the code parameter is too long")


def test_get_is_not_allowed(http: TestClient) -> None:
    response = http.get("/token")
    assert response.status_code == 405
    assert response.json()["error"] == "invalid_request"


# -- The authorization code -------------------------------------------------------------------


def _post(http: TestClient, client: dict[str, Any], data: dict[str, str]) -> Any:
    return http.post("/token", data=data, auth=(client["client_id"], client["client_secret"]))


CODE_ERRORS = [
    pytest.param(
        {"code": "<omit>"}, "invalid_request", "the code parameter is required", id="missing-code"
    ),
    pytest.param(
        {"code": "not-a-code"},
        "invalid_grant",
        "authorization code is not valid",
        id="unknown-code",
    ),
    pytest.param(
        {"redirect_uri": "<omit>"},
        "invalid_grant",
        "redirect_uri is required",
        id="missing-redirect_uri",
    ),
    pytest.param(
        {"redirect_uri": REDIRECT_URI + "/"},
        "invalid_grant",
        "redirect_uri does not match",
        id="other-redirect_uri",
    ),
    pytest.param(
        {"code_verifier": "<omit>"},
        "invalid_grant",
        "code_verifier is required",
        id="missing-verifier",
    ),
    pytest.param(
        {"code_verifier": "a" * 43},
        "invalid_grant",
        "does not match the code_challenge",
        id="wrong-verifier",
    ),
    pytest.param(
        {"code_verifier": "short"}, "invalid_grant", "43-128 characters", id="verifier-too-short"
    ),
    pytest.param(
        {"code_verifier": "a" * 129}, "invalid_grant", "43-128 characters", id="verifier-too-long"
    ),
    pytest.param(
        {"code_verifier": "a" * 42 + "!"},
        "invalid_grant",
        "43-128 characters",
        id="verifier-bad-chars",
    ),
]


@pytest.mark.parametrize(("extra", "error", "fragment"), CODE_ERRORS)
def test_code_errors(
    http: TestClient, web: dict[str, Any], extra: dict[str, str], error: str, fragment: str
) -> None:
    result = sign_in(http)
    assert_token_error(_post(http, web, code_request(result, **extra)), 400, error, fragment)
    # A failed attempt does not burn the code for the right request.
    assert _post(http, web, code_request(result)).status_code == 200


def test_a_verifier_with_a_trailing_newline_is_invalid_grant(
    http: TestClient, web: dict[str, Any]
) -> None:
    """RFC 7636 §4.1: the verifier is 43-128 unreserved characters, a newline is not one of
    them, even when the challenge was computed over it."""
    verifier = "v" * 43 + "\n"
    result = sign_in(http, code_challenge=base64url_sha256(verifier))
    data = code_request(result, code_verifier=verifier)
    assert_token_error(_post(http, web, data), 400, "invalid_grant", "43-128 characters")


def test_verifier_sent_without_a_challenge(http: TestClient, web: dict[str, Any]) -> None:
    result = sign_in(http, code_challenge=None, code_challenge_method=None)
    data = code_request(result)
    assert_token_error(_post(http, web, data), 400, "invalid_grant", "had no code_challenge")


def test_code_issued_to_another_client_is_refused_and_not_consumed(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    other = make_client(runtime, "other")
    result = sign_in(http)
    assert_token_error(
        _post(http, other, code_request(result)), 400, "invalid_grant", "issued to another client"
    )
    response = _post(http, web, code_request(result))
    assert response.status_code == 200, response.text
    info = http.get(
        "/userinfo", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert info.status_code == 200


def test_public_client_cannot_redeem_a_confidential_clients_code(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    _public(runtime)
    result = sign_in(http)
    response = http.post("/token", data=code_request(result, client_id="spa"))
    assert_token_error(response, 400, "invalid_grant", "issued to another client")


def test_expired_code(runtime: Runtime, http: TestClient, web: dict[str, Any]) -> None:
    clock = install_clock(runtime)
    result = sign_in(http)
    clock.advance(runtime.provider.config.authorization_code_lifetime)
    assert_token_error(_post(http, web, code_request(result)), 400, "invalid_grant", "has expired")


def test_code_just_before_expiry_works(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    result = sign_in(http)
    clock.advance(runtime.provider.config.authorization_code_lifetime - 1)
    assert _post(http, web, code_request(result)).status_code == 200


def test_code_of_a_disabled_user(runtime: Runtime, http: TestClient, web: dict[str, Any]) -> None:
    result = sign_in(http)
    set_disabled(runtime, "alice", True)
    assert_token_error(_post(http, web, code_request(result)), 400, "invalid_grant", "disabled")


def _refresh_row(runtime: Runtime, value: str) -> dict[str, Any]:
    with runtime.database.read() as conn:
        row = (
            conn.execute(
                sa.select(t.refresh_tokens).where(
                    t.refresh_tokens.c.token_hash == sha256_digest(value)
                )
            )
            .mappings()
            .one()
        )
    return dict(row)


def test_code_replay_fails_and_revokes_what_the_first_redemption_issued(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    result = sign_in(http, scope="openid profile offline_access")
    first = _post(http, web, code_request(result))
    assert first.status_code == 200
    tokens = first.json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.get("/userinfo", headers=bearer).status_code == 200
    assert _refresh_row(runtime, tokens["refresh_token"])["revoked_at"] is None

    second = _post(http, web, code_request(result))
    assert_token_error(second, 400, "invalid_grant", "already used")

    rejected = http.get("/userinfo", headers=bearer)
    assert rejected.status_code == 401
    assert 'error="invalid_token"' in rejected.headers["www-authenticate"]
    assert "revoked" in rejected.json()["error_description"]
    assert _refresh_row(runtime, tokens["refresh_token"])["revoked_at"] is not None
    refreshed = _post(
        http, web, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert_token_error(refreshed, 400, "invalid_grant", "revoked")


def test_concurrent_redemption_gives_exactly_one_token_response(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    result = sign_in(http, scope="openid offline_access")
    data = code_request(result)
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    responses: list[Any] = []
    lock = threading.Lock()

    def redeem_once() -> None:
        with TestClient(create_app(runtime), base_url=ISSUER) as client:
            barrier.wait(timeout=30)
            response = client.post("/token", data=data, auth=("web", web["client_secret"]))
        with lock:
            responses.append(response)

    threads = [threading.Thread(target=redeem_once) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(responses) == threads_count
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (threads_count - 1), [r.text for r in responses]
    for response in responses:
        if response.status_code == 400:
            assert response.json()["error"] == "invalid_grant"
    # The losers saw a replay, so the winner's access token is revoked as well.
    winner = next(r for r in responses if r.status_code == 200).json()
    info = http.get("/userinfo", headers={"Authorization": f"Bearer {winner['access_token']}"})
    assert info.status_code == 401
    # And its refresh token, even if it was stored after a loser revoked the grant.
    refreshed = _post(
        http, web, {"grant_type": "refresh_token", "refresh_token": winner["refresh_token"]}
    )
    assert_token_error(refreshed, 400, "invalid_grant", "revoked")


# -- The token response -----------------------------------------------------------------------


def _left_half_sha256(value: str) -> str:
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def _keys(http: TestClient) -> Any:
    return public_keyset(http.get("/jwks").json())


def test_token_response_headers_and_fields(http: TestClient, web: dict[str, Any]) -> None:
    result = sign_in(http, scope="openid profile")
    response = _post(http, web, code_request(result))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600 and isinstance(body["expires_in"], int)
    assert body["scope"] == "openid profile"
    assert set(body) == {
        "access_token",
        "token_type",
        "expires_in",
        "scope",
        "id_token",
        "refresh_token",
    }


def test_id_token_claims(runtime: Runtime, http: TestClient, web: dict[str, Any]) -> None:
    clock = install_clock(runtime)
    result = sign_in(http, nonce="n-0S6_WzA2Mj", scope="openid email")
    body = _post(http, web, code_request(result)).json()
    header, claims = verify_jwt(body["id_token"], _keys(http), algorithms=["RS256"])
    assert header["alg"] == "RS256" and header["kid"]
    assert header["kid"] in {k["kid"] for k in http.get("/jwks").json()["keys"]}
    assert claims["iss"] == ISSUER
    assert claims["aud"] == "web" and claims["azp"] == "web"
    assert claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["iat"] == clock.now and claims["exp"] == clock.now + 3600
    assert claims["auth_time"] == clock.now
    assert claims["amr"] == ["pwd"]
    assert claims["sid"]
    assert claims["at_hash"] == _left_half_sha256(body["access_token"])
    assert claims["email"] == "alice@example.com"
    assert "name" not in claims  # profile was not requested
    info = http.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert claims["sub"] == info["sub"]


def test_id_token_without_nonce_has_no_nonce(http: TestClient, web: dict[str, Any]) -> None:
    result = sign_in(http, nonce=None)
    body = _post(http, web, code_request(result)).json()
    assert "nonce" not in verify_jwt(body["id_token"], _keys(http), algorithms=["RS256"])[1]


def test_access_token_header_and_claims(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    result = sign_in(http, scope="openid profile")
    body = _post(http, web, code_request(result)).json()
    header, claims = verify_jwt(body["access_token"], _keys(http), algorithms=["ES256"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256" and header["kid"]
    assert claims["iss"] == ISSUER
    assert claims["aud"] == f"{ISSUER}/userinfo"
    assert claims["client_id"] == "web"
    assert claims["scope"] == "openid profile"
    assert claims["iat"] == clock.now and claims["exp"] == clock.now + body["expires_in"]
    assert len(claims["jti"]) >= 16
    id_claims = verify_jwt(body["id_token"], _keys(http), algorithms=["RS256"])[1]
    assert claims["sub"] == id_claims["sub"]


def test_jti_is_unique_per_token(http: TestClient, web: dict[str, Any]) -> None:
    jtis = set()
    for _ in range(3):
        result = sign_in(http)
        body = _post(http, web, code_request(result)).json()
        jtis.add(verify_jwt(body["access_token"], _keys(http), algorithms=["ES256"])[1]["jti"])
    assert len(jtis) == 3


def test_per_client_id_token_alg(runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    client = make_client(runtime, id_token_signing_alg="ES256")
    body = get_tokens(http, client)
    header, claims = verify_jwt(body["id_token"], _keys(http), algorithms=["ES256"])
    assert header["alg"] == "ES256"
    assert claims["at_hash"] == _left_half_sha256(body["access_token"])


def test_refresh_tokens_offline_or_bound_to_the_session(
    runtime: Runtime, http: TestClient, web: dict[str, Any]
) -> None:
    """With offline_access the refresh token is independent of the SSO session; without it,
    it is tied to the session (sid recorded)."""
    offline = get_tokens(http, web, scope="openid offline_access")["refresh_token"]
    assert _refresh_row(runtime, offline)["sid"] is None
    online = get_tokens(http, web, scope="openid profile")["refresh_token"]
    assert _refresh_row(runtime, online)["sid"]


def test_no_refresh_token_for_a_client_without_the_refresh_grant(
    runtime: Runtime, http: TestClient
) -> None:
    make_user(runtime)
    client = make_client(runtime, grant_types=["authorization_code"])
    assert "refresh_token" not in get_tokens(http, client, scope="openid offline_access")


def test_no_id_token_without_openid(http: TestClient, web: dict[str, Any]) -> None:
    body = get_tokens(http, web, scope="profile")
    assert "id_token" not in body
    assert body["scope"] == "profile"


def test_secrets_are_stored_only_as_sha256_hashes(runtime: Runtime, http: TestClient) -> None:
    """Client secret, code, refresh token and session id appear in the database only as their
    SHA-256 digests; access and ID tokens, the password and the PKCE verifier not at all."""
    make_user(runtime)
    client = make_client(runtime)
    result = sign_in(http, scope="openid offline_access")
    body = _post(http, client, code_request(result)).json()
    raw_values = {
        "client_secret": client["client_secret"],
        "code": result.params["code"],
        "refresh_token": body["refresh_token"],
        "session": http.cookies["gh_session"],
        "access_token": body["access_token"],
        "id_token": body["id_token"],
        "password": PASSWORD,
        "code_verifier": result.verifier,
    }
    dump = []
    with runtime.database.read() as conn:
        for table in t.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                dump.append(repr(dict(row)))
    everything = "\n".join(dump)
    for name, value in raw_values.items():
        assert value not in everything, name
    for name in ("client_secret", "code", "refresh_token", "session"):
        assert sha256_digest(raw_values[name]) in everything, name
    assert (
        _refresh_row(runtime, body["refresh_token"])["token_hash"]
        == hashlib.sha256(body["refresh_token"].encode()).hexdigest()
    )


def test_redirect_uri_omitted_at_authorization_may_not_differ_at_the_token_endpoint(
    http: TestClient, web: dict[str, Any]
) -> None:
    result = sign_in(http, redirect_uri=None, scope="email")  # plain OAuth: may omit it
    other = code_request(result, redirect_uri="https://app.example.com/other")
    assert_token_error(_post(http, web, other), 400, "invalid_grant", "redirect_uri does not match")
    assert _post(http, web, code_request(result, redirect_uri=REDIRECT_URI)).status_code == 200
