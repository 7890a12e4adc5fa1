"""Cross-cutting security properties: headers on every response, escaping, https-only
cookie and HSTS behaviour, a hostile-input sweep that must never produce a 500, and logs
that never carry a secret."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime, build_runtime
from gatehouse.web.app import create_app
from tests.conftest import ISSUER
from tests.conftest import test_settings as make_settings
from tests.support.factories import PASSWORD, REDIRECT_URI, make_client, make_user
from tests.support.flow import (
    authorize_params,
    basic_auth,
    consent_form,
    csrf_from,
    query_of,
    redeem,
    run_flow,
    start_authorize,
    submit_login,
)


@pytest.fixture
def web(runtime: Runtime) -> dict[str, Any]:
    make_user(runtime)
    return make_client(runtime)


def _page_responses(http: TestClient) -> dict[str, Any]:
    """One response of every kind a browser or client sees."""
    responses: dict[str, Any] = {}
    response, _ = start_authorize(http)
    responses["authorize redirect"] = response
    login = response.headers["location"]
    responses["login page"] = http.get(login)
    responses["login failed"] = submit_login(http, login, "alice", "wrong password")
    after = submit_login(http, login)
    responses["login redirect"] = after
    responses["consent page"] = http.get(after.headers["location"])
    responses["error page"] = http.get("/authorize?client_id=nobody")
    responses["csrf error page"] = http.post("/login", data={"interaction": "x"})
    responses["home"] = http.get("/")
    responses["logout page"] = http.get("/logout")
    responses["not found"] = http.get("/no-such-page")
    responses["method not allowed"] = http.put("/authorize")
    return responses


def _api_responses(http: TestClient, web: dict[str, Any]) -> dict[str, Any]:
    result = run_flow(http)
    responses: dict[str, Any] = {}
    responses["token"] = redeem(http, result.params["code"], result.verifier, web)
    responses["token error"] = redeem(http, result.params["code"], result.verifier, web)
    responses["token invalid_client"] = http.post(
        "/token", data={"grant_type": "authorization_code"}, auth=("web", "wrong")
    )
    access_token = responses["token"].json()["access_token"]
    responses["userinfo"] = http.get(
        "/userinfo", headers={"Authorization": f"Bearer {access_token}"}
    )
    responses["userinfo error"] = http.get("/userinfo")
    responses["discovery"] = http.get("/.well-known/openid-configuration")
    responses["jwks"] = http.get("/jwks")
    responses["healthz"] = http.get("/healthz")
    return responses


def _assert_security_headers(name: str, response: Any) -> None:
    csp = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in csp, name
    assert "default-src 'none'" in csp, name
    assert response.headers.get("x-frame-options") == "DENY", name
    assert response.headers.get("referrer-policy") == "no-referrer", name
    assert response.headers.get("x-content-type-options") == "nosniff", name
    assert "strict-transport-security" not in response.headers, name  # http issuer


def test_pages_carry_security_headers_and_no_store(http: TestClient, web: dict[str, Any]) -> None:
    for name, response in _page_responses(http).items():
        _assert_security_headers(name, response)
        assert response.headers.get("cache-control") == "no-store", name
        assert response.status_code < 500, name


def test_endpoints_carry_security_headers(http: TestClient, web: dict[str, Any]) -> None:
    responses = _api_responses(http, web)
    for name, response in responses.items():
        _assert_security_headers(name, response)
        assert response.status_code < 500, name
    for name in ("token", "token error", "token invalid_client", "userinfo", "userinfo error"):
        assert responses[name].headers["cache-control"] == "no-store", name
        assert responses[name].headers["pragma"] == "no-cache", name


def test_error_pages_escape_what_the_request_said(http: TestClient, web: dict[str, Any]) -> None:
    script = "<script>alert(1)</script>"
    pages = [
        http.get("/authorize", params={"client_id": script}),
        http.get(
            "/authorize", params={"client_id": "web", "redirect_uri": f"https://x.example/{script}"}
        ),
    ]
    for page in pages:
        assert page.status_code == 400
        assert "<script>alert" not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_redirect_uri_is_never_an_open_redirect_for_javascript(
    http: TestClient, web: dict[str, Any]
) -> None:
    response = http.get(
        "/authorize", params={"client_id": "web", "redirect_uri": "javascript:alert(1)"}
    )
    assert response.status_code == 400
    assert "location" not in response.headers


# -- Under an https issuer --------------------------------------------------------------------

HTTPS_ISSUER = "https://id.example.com"


@pytest.fixture
def https_http(database_url: str, tmp_path: Path) -> Iterator[tuple[Runtime, TestClient]]:
    runtime = build_runtime(make_settings(database_url, tmp_path, issuer=HTTPS_ISSUER))
    with TestClient(create_app(runtime), base_url=HTTPS_ISSUER, follow_redirects=False) as client:
        yield runtime, client
    runtime.close()


def test_https_issuer_sets_secure_cookies_and_hsts(https_http: tuple[Runtime, TestClient]) -> None:
    runtime, http = https_http
    make_user(runtime)
    make_client(runtime)
    response, _ = start_authorize(http)
    assert response.headers["strict-transport-security"].startswith("max-age=")
    page = http.get(response.headers["location"])
    after = submit_login(http, response.headers["location"])
    for reply in (page, after):
        for cookie in reply.headers.get_list("set-cookie"):
            attributes = [a.strip().lower() for a in cookie.split(";")]
            assert "secure" in attributes, cookie
            assert "httponly" in attributes and "samesite=lax" in attributes, cookie
    assert query_of(after.headers["location"]).get("iss") in (None, HTTPS_ISSUER)
    metadata = http.get("/.well-known/openid-configuration").json()
    assert metadata["issuer"] == HTTPS_ISSUER
    assert all(
        v.startswith(HTTPS_ISSUER + "/") for k, v in metadata.items() if k.endswith("_endpoint")
    )


# -- Never a 500 ------------------------------------------------------------------------------

PATHS = [
    "/",
    "/healthz",
    "/.well-known/openid-configuration",
    "/jwks",
    "/authorize",
    "/token",
    "/introspect",
    "/revoke",
    "/userinfo",
    "/login",
    "/consent",
    "/logout",
    "/static/style.css",
    "/static/../../etc/passwd",
    "/nope",
]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "PROPFIND"]


def _hostile_requests(rng: random.Random) -> Iterator[dict[str, Any]]:
    def junk(size: int) -> bytes:
        return bytes(rng.randrange(256) for _ in range(size))

    yield {"content": junk(300), "headers": {"content-type": "application/x-www-form-urlencoded"}}
    yield {"content": junk(300), "headers": {"content-type": "application/json"}}
    yield {
        "content": b"%" * 100 + b"=&&==&%zz=%",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
    }
    yield {
        "content": b"a=" + b"%FF" * 50 + b"&b=%00&c=\xff\xfe",
        "headers": {"content-type": "application/x-www-form-urlencoded; charset=latin-1"},
    }
    yield {
        "content": b"--x\r\nContent-Disposition: form-data\r\n\r\n",
        "headers": {"content-type": "multipart/form-data; boundary=x"},
    }
    yield {
        "params": {
            "client_id": junk(20).decode("latin-1"),
            "interaction": "\x00\x01",
            "x" * 200: "y",
        }
    }
    yield {"headers": {"authorization": "Bearer " + base64.b64encode(junk(200)).decode()}}
    yield {"headers": {"authorization": "Basic " + base64.b64encode(junk(60)).decode()}}
    yield {"headers": {"authorization": "Basic " + base64.b64encode(b"web:" + junk(20)).decode()}}
    yield {"headers": {"authorization": "Bearer eyJhbGciOiJub25lIn0." + "A" * 40 + "."}}
    yield {"headers": {"authorization": "Bearer " + "a." * 2000}}
    yield {"headers": {"cookie": "gh_session=" + "\x7f" * 50 + "; gh_csrf=%%%; =;;"}}
    yield {"headers": {"x-huge": "h" * 16_000, "accept-language": "x" * 4000}}
    yield {"headers": {"origin": "https://" + "a" * 3000 + ".example"}}
    yield {
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "content-length": "99999999",
        },
        "content": b"a=b",
    }


def test_hostile_input_never_causes_a_server_error(runtime: Runtime, web: dict[str, Any]) -> None:
    rng = random.Random(20240521)
    failures = []
    with TestClient(
        create_app(runtime), base_url=ISSUER, follow_redirects=False, raise_server_exceptions=False
    ) as http:
        for path in PATHS:
            for method in METHODS:
                for request in _hostile_requests(rng):
                    try:
                        response = http.request(method, path, **request)
                    except Exception as exc:  # the transport refused to send it: not our server
                        if "content-length" in str(request.get("headers", {})).lower():
                            continue
                        raise AssertionError((method, path, request.get("headers"), exc)) from exc
                    if response.status_code >= 500 or "Traceback" in response.text:
                        failures.append((method, path, sorted(request), response.status_code))
    assert not failures, failures[:20]


def test_hostile_values_deep_in_the_flow_never_cause_a_server_error(
    runtime: Runtime, web: dict[str, Any]
) -> None:
    """Past client authentication, CSRF and interaction lookup, with junk in every field."""
    rng = random.Random(7)
    with TestClient(
        create_app(runtime), base_url=ISSUER, follow_redirects=False, raise_server_exceptions=False
    ) as http:
        params, _ = authorize_params()
        location = http.get("/authorize", params=params).headers["location"]
        page = http.get(location)
        csrf, interaction = csrf_from(page.text), query_of(location)["interaction"]
        values = [
            "",
            "\x00",
            "\u202e\ufeff",
            "\ud7ff" * 10,
            "x" * 4096,
            "' OR 1=1 --",
            "%s%n",
            "${jndi:ldap://x}",
            "{{7*7}}",
            "../../etc/passwd",
            "²",
            "-1",
            "1e400",
        ]
        values += ["".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(40)) for _ in range(5)]
        statuses = []
        for value in values:
            auth = {"Authorization": basic_auth("web", web["client_secret"])}
            for data in (
                {
                    "grant_type": "authorization_code",
                    "code": value,
                    "code_verifier": value,
                    "redirect_uri": value,
                },
                {"grant_type": "refresh_token", "refresh_token": value, "scope": value},
                {"grant_type": "client_credentials", "scope": value, "resource": value},
                {"grant_type": value},
            ):
                statuses.append(
                    ("token", value, http.post("/token", data=data, headers=auth).status_code)
                )
            for path in ("/introspect", "/revoke"):
                data = {"token": value, "token_type_hint": value}
                statuses.append((path, value, http.post(path, data=data, headers=auth).status_code))
            for key in (
                "scope",
                "prompt",
                "max_age",
                "nonce",
                "state",
                "login_hint",
                "code_challenge",
                "response_mode",
                "resource",
                "claims",
                "acr_values",
                "ui_locales",
                "id_token_hint",
            ):
                params, _ = authorize_params(**{key: value})
                statuses.append(
                    ("authorize", key, http.get("/authorize", params=params).status_code)
                )
            login = {
                "csrf_token": csrf,
                "interaction": interaction,
                "login": value,
                "password": value,
            }
            statuses.append(("login", value, http.post("/login", data=login).status_code))
            consent = {"csrf_token": csrf, "interaction": interaction, "decision": value}
            statuses.append(("consent", value, http.post("/consent", data=consent).status_code))
            statuses.append(
                (
                    "logout",
                    value,
                    http.get(
                        "/logout",
                        params={
                            "id_token_hint": value,
                            "post_logout_redirect_uri": value,
                            "client_id": value,
                            "state": value,
                        },
                    ).status_code,
                )
            )
            statuses.append(
                (
                    "userinfo",
                    value,
                    http.post("/userinfo", data={"access_token": value}).status_code,
                )
            )
        failures = [s for s in statuses if s[2] >= 500]
        assert not failures, failures[:20]
        # The real password still works afterwards: nothing above broke the interaction.
        assert submit_login(http, location).status_code == 303


# -- Logs never carry secrets -----------------------------------------------------------------


def test_no_secret_ever_appears_in_the_logs(
    runtime: Runtime, http: TestClient, web: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets_seen: list[str] = [PASSWORD, web["client_secret"], "wrong password 123"]

    params, verifier = authorize_params(scope="openid profile email offline_access")
    response = http.get("/authorize", params=params)
    login = response.headers["location"]
    secrets_seen.append(query_of(login)["interaction"])
    submit_login(http, login, "alice", "wrong password 123")
    after = submit_login(http, login)
    secrets_seen.append(http.cookies["gh_session"])
    done = http.post(
        "/consent",
        data={**consent_form(http.get(after.headers["location"]).text), "decision": "allow"},
    )
    code = query_of(done.headers["location"])["code"]
    secrets_seen += [code, verifier, http.cookies["gh_csrf"]]
    tokens = redeem(http, code, verifier, web).json()
    secrets_seen += [tokens["access_token"], tokens["refresh_token"], tokens["id_token"]]
    # Failures log too: make them happen.
    redeem(http, code, verifier, web)  # replay
    http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code},
        auth=("web", "not-the-secret-xyz"),
    )
    secrets_seen.append("not-the-secret-xyz")
    http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("web", web["client_secret"]),
    )
    http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    http.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}x"})
    http.post(
        "/revoke", data={"token": tokens["refresh_token"]}, auth=("web", web["client_secret"])
    )

    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name.startswith("gatehouse") for r in records)
    for record in records:
        text = record.getMessage() + (record.exc_text or "") + repr(record.__dict__.get("args"))
        for secret in secrets_seen:
            assert secret not in text, (record.name, record.levelname, text[:300])
    assert REDIRECT_URI  # the redirect URI is not a secret; it may be logged


# -- Inputs a fuzzer found ---------------------------------------------------------------------


def _asgi_post(
    runtime: Runtime, path: str, messages: list[dict[str, Any]], headers: list[tuple[bytes, bytes]]
) -> int:
    """Call the app as a server would, with ``messages`` as what the client sends; the
    response status (0 when none was sent)."""
    app = create_app(runtime)
    incoming = iter(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(incoming, {"type": "http.disconnect"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    starts = [m for m in sent if m["type"] == "http.response.start"]
    return int(starts[0]["status"]) if starts else 0


FORM = (b"content-type", b"application/x-www-form-urlencoded")


@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke", "/login", "/authorize"])
def test_a_client_that_disconnects_mid_body_is_a_bad_request_not_an_error(
    runtime: Runtime, web: dict[str, Any], path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    messages = [
        {"type": "http.request", "body": b"grant_type=", "more_body": True},
        {"type": "http.disconnect"},
    ]
    status = _asgi_post(runtime, path, messages, [FORM, (b"content-length", b"100")])
    assert status == 400
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


def test_a_content_length_of_other_digits_is_a_bad_request(
    runtime: Runtime, web: dict[str, Any]
) -> None:
    """str.isdigit() accepts "²", which int() refuses (a 500 where a server passes it on)."""
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    # Header bytes are latin-1 (RFC 9110 §5.5): b"\xb2" is "²".
    status = _asgi_post(runtime, "/token", messages, [FORM, (b"content-length", b"\xb2")])
    assert status == 400


def test_a_405_names_the_allowed_methods(http: TestClient) -> None:
    response = http.get("/token")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]


def _unsigned_assertion(claims: bytes) -> str:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = b64(b'{"alg":"RS256","kid":"k1"}')
    return f"{header}.{b64(claims)}.c2ln"


@pytest.mark.parametrize(
    "claims",
    [
        b'{"iss":"web","sub":"web","a":' + b"[" * 1100 + b"]" * 1100 + b"}",
        b'{"iss":"\\ud800","sub":"\\ud800"}',
    ],
    ids=["nested-1100-deep", "lone-surrogate-client"],
)
@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
def test_hostile_client_assertions_are_invalid_client(
    http: TestClient, web: dict[str, Any], claims: bytes, path: str
) -> None:
    response = http.post(
        path,
        data={
            "grant_type": "client_credentials",
            "token": "x",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": _unsigned_assertion(claims),
        },
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
