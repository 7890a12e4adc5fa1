"""Native apps on a loopback port chosen at run time (RFC 8252 §7.3)."""

from __future__ import annotations

from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from tests.support.factories import make_public_client, make_user
from tests.support.flow import redeem, run_flow

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
