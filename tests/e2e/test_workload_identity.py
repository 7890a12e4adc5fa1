"""Workload identity end to end (issue 13 item 9): a second issuer made in the test, like a CI
system, signs a token for a job; Authlib's client hands it to a real gatehouse server with
the JWT bearer grant (RFC 7523 §2.1); the example orders API, validating with gatehouse.rs,
lets the resulting token read every order. Provisioned through the real CLI, once per module
and backend: one deployment shared by the module's tests, none of which changes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from tests.support.external_issuer import SUBJECT, ExternalIssuer, external_issuer
from tests.support.live_server import LiveServer, start_orders_api

pytestmark = pytest.mark.e2e

API = "https://orders.example.com"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TIMEOUT = 30  # seconds for one HTTP exchange on a loaded machine: a bound, not an expectation


@pytest.fixture(scope="module")
def server(module_server: LiveServer) -> LiveServer:
    """The module's deployment: its tests only ask it for tokens, so they can share it."""
    return module_server


@pytest.fixture(scope="module")
def ci(server: LiveServer) -> Iterator[ExternalIssuer]:
    """The CI issuer, trusted for one subject as the workload client ``deployer``."""
    server.cli(
        "api", "create", "--identifier", API, "--name", "Orders",
        "--app-role", "Orders.ReadAll=Read every order",
    )  # fmt: skip
    created = server.cli("client", "create", "--client-id", "deployer", "--grant-type", JWT_BEARER)
    assert "client_secret" not in created
    server.cli(
        "grant", "app-role", "--client", "deployer", "--api", API, "--role", "Orders.ReadAll"
    )
    with external_issuer() as issuer:
        server.cli(
            "issuer", "trust", issuer.issuer, "--discovery", issuer.discovery_url,
            "--subject-claim", "sub", "--client", "deployer", "--subject", SUBJECT,
        )  # fmt: skip
        yield issuer


def fetch(server: LiveServer, assertion: str) -> dict[str, str]:
    """Authlib's OAuth 2.0 client, as a workload without a secret uses it."""
    with OAuth2Session(client_id="deployer", token_endpoint_auth_method="none") as session:
        session.trust_env = False
        token = session.fetch_token(
            server.url("/token"),
            grant_type=JWT_BEARER,
            assertion=assertion,
            scope=f"{API}/.default",
            timeout=TIMEOUT,
        )
    return dict(token)


def test_a_ci_jobs_token_reads_every_order(
    server: LiveServer, ci: ExternalIssuer, tmp_path: Path
) -> None:
    token = fetch(server, ci.token(aud=server.url("/token")))
    assert token["token_type"].lower() == "bearer" and "refresh_token" not in token
    orders = start_orders_api(server.issuer, API, tmp_path / "orders-api")
    try:
        with requests.Session() as http:
            http.trust_env = False
            answer = http.get(
                orders.url("/admin/orders"),
                headers={"Authorization": f"Bearer {token['access_token']}"},
                timeout=TIMEOUT,
            )
        assert answer.status_code == 200, answer.text
    finally:
        orders.stop()
        print(f"--- orders API log ---\n{orders.log()[-4000:]}")


def test_a_token_for_another_subject_is_refused(server: LiveServer, ci: ExternalIssuer) -> None:
    with pytest.raises(OAuthError) as refused:
        fetch(server, ci.token(aud=server.url("/token"), sub="repo:evil/fork:ref:refs/heads/main"))
    assert refused.value.error == "invalid_grant"
    assert "repo:evil/fork" in str(refused.value.description)
