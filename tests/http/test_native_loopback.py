"""Native apps on a loopback port chosen at run time (RFC 8252 §7.3)."""

from __future__ import annotations

from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.factories import make_client, make_public_client, make_user
from tests.support.flow import redeem, run_flow, start_authorize

REGISTERED = "http://127.0.0.1/callback"
AT_RUNTIME = "http://127.0.0.1:53124/callback"


def test_any_loopback_port_is_accepted_and_bound_to_the_code(
    runtime: Runtime, http: TestClient
) -> None:
    client = make_public_client(runtime, "cli-app", redirect_uris=[REGISTERED])
    make_user(runtime)
    result = run_flow(http, "cli-app", redirect_uri=AT_RUNTIME)
    assert result.location.startswith(AT_RUNTIME + "?code=")
    wrong_port = redeem(
        http,
        result.params["code"],
        result.verifier,
        client,
        redirect_uri="http://127.0.0.1:1/callback",
    )
    assert wrong_port.status_code == 400 and wrong_port.json()["error"] == "invalid_grant"
    ok = redeem(http, result.params["code"], result.verifier, client, redirect_uri=AT_RUNTIME)
    assert ok.status_code == 200, ok.text


def test_a_confidential_clients_loopback_uri_must_match_exactly(
    runtime: Runtime, http: TestClient
) -> None:
    """RFC 8252 §7.3 lets the port vary only for native apps; a web server's loopback
    redirect URI is matched exactly, port included (RFC 9700 §4.1.3): on another port of
    that machine anyone may be listening."""
    registered = "http://127.0.0.1:8080/callback"
    make_client(runtime, "web", redirect_uris=[registered])
    make_user(runtime)
    for uri in (AT_RUNTIME, "http://127.0.0.1:8081/callback", "http://127.0.0.1/callback"):
        response, _ = start_authorize(http, "web", redirect_uri=uri)
        assert response.status_code == 400, uri
        assert "location" not in response.headers
        assert "is not registered" in response.text
    assert run_flow(http, "web", redirect_uri=registered).location.startswith(registered + "?")


def test_localhost_and_other_paths_get_no_such_exception(
    runtime: Runtime, http: TestClient
) -> None:
    make_public_client(runtime, "cli-app", redirect_uris=[REGISTERED, "http://localhost/callback"])
    for uri in ("http://localhost:53124/callback", "http://127.0.0.1:53124/other"):
        response = http.get(
            "/authorize",
            params={
                "client_id": "cli-app",
                "redirect_uri": uri,
                "response_type": "code",
                "scope": "openid",
            },
        )
        assert response.status_code == 400, uri
        assert "location" not in response.headers


def test_a_native_apps_stored_consent_is_not_reused(runtime: Runtime, http: TestClient) -> None:
    """RFC 8252 §8.6: any program on the device can listen on a loopback port with this
    client_id, so the request is handled as if nothing had been approved before: the
    consent page every time, and consent_required for prompt=none."""
    make_public_client(
        runtime, "cli-app", redirect_uris=[REGISTERED], scopes=["openid", "offline_access"]
    )
    make_user(runtime)
    first = run_flow(http, "cli-app", redirect_uri=AT_RUNTIME, scope="openid offline_access")
    assert "code" in first.params
    silent, _ = start_authorize(
        http,
        "cli-app",
        redirect_uri="http://127.0.0.1:51234/callback",
        scope="openid offline_access",
        prompt="none",
    )
    assert silent.status_code == 303
    assert "error=consent_required" in silent.headers["location"]
    again, _ = start_authorize(http, "cli-app", redirect_uri=AT_RUNTIME, scope="openid")
    assert again.headers["location"].startswith("/consent?interaction=")
    assert "asks each time" in http.get(again.headers["location"]).text


def test_a_public_client_on_an_https_redirect_uri_reuses_its_consent(
    runtime: Runtime, http: TestClient
) -> None:
    """An https redirect URI leads only to its owner: the stored consent counts."""
    make_public_client(runtime, "spa", redirect_uris=["https://app.example.com/callback"])
    make_user(runtime)
    assert "code" in run_flow(http, "spa", redirect_uri="https://app.example.com/callback").params
    silent = run_flow(http, "spa", redirect_uri="https://app.example.com/callback", prompt="none")
    assert "code" in silent.params
