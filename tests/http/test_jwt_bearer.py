"""The JWT bearer grant (RFC 7523 §2.1) at /token, with a second issuer made in the test: its
key pair generated here, its JWK Set and discovery document served live on loopback. The
workload client is registered and the issuer trusted through the `gatehouse` command, as an
operator would."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditEvent, AuditQuery
from tests.cli.conftest import Gatehouse, cli_environment
from tests.conftest import ISSUER
from tests.support.external_issuer import SUBJECT, ExternalIssuer, external_issuer
from tests.support.factories import ORDERS_API, grant_roles, make_api
from tests.support.tokens import assert_oauth_error, token_claims

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
DEFAULT = f"{ORDERS_API}/.default"


@pytest.fixture
def gh(database_url: str, tmp_path: Path) -> Gatehouse:
    return Gatehouse(cli_environment(database_url, tmp_path))


@pytest.fixture(scope="module")
def keys() -> dict[str, RSAKey]:
    """Generated once: the CI issuer's key, another with its kid, and one it never published."""
    return {
        kid: RSAKey.generate_key(2048, parameters={"kid": kid.split("/")[0]}, private=True)
        for kid in ("ci-1", "ci-1/impostor", "not-published")
    }


@pytest.fixture
def ci(keys: dict[str, RSAKey]) -> Iterator[ExternalIssuer]:
    with external_issuer(keys["ci-1"]) as issuer:
        yield issuer


@pytest.fixture
def deployer(runtime: Runtime, gh: Gatehouse, ci: ExternalIssuer) -> str:
    """A workload client with no secret, and the CI issuer trusted for one of its subjects."""
    make_api(runtime, ORDERS_API)
    created = gh.ok("client", "create", "--client-id", "deployer", "--grant-type", JWT_BEARER)
    assert created["auth_method"] == "none" and created["type"] == "confidential"
    assert "client_secret" not in created
    grant_roles(runtime, "deployer", ORDERS_API, "orders.export")
    gh.ok(
        "issuer", "trust", ci.issuer, "--discovery", ci.discovery_url, "--subject-claim", "sub",
        "--client", "deployer", "--subject", SUBJECT,
    )  # fmt: skip
    assert ci.server.hits == 0  # trusting does not fetch
    return "deployer"


def bearer(
    http: TestClient, assertion: str, client_id: str | None = "deployer", **extra: str
) -> Any:
    data = {"grant_type": JWT_BEARER, "assertion": assertion, "scope": DEFAULT, **extra}
    if client_id is not None:
        data["client_id"] = client_id
    return http.post("/token", data=data)


def events(runtime: Runtime, kind: str) -> list[AuditEvent]:
    return runtime.store.audit.list(AuditQuery(types=(kind,)))


def test_a_workload_token_becomes_a_gatehouse_token(
    runtime: Runtime, http: TestClient, deployer: str, ci: ExternalIssuer
) -> None:
    response = bearer(http, ci.token())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == DEFAULT
    assert "refresh_token" not in body and "id_token" not in body
    claims = token_claims(runtime, body["access_token"])
    assert claims["sub"] == claims["client_id"] == deployer
    assert claims["aud"] == ORDERS_API and claims["roles"] == ["orders.export"]
    assert ci.server.hits == 2  # the discovery document, then the JWK Set it names
    [issued] = events(runtime, "token.jwt_bearer.issued")
    assert issued.client_id == deployer
    assert issued.details == {"issuer": ci.issuer, "subject": SUBJECT}


def test_the_same_assertion_may_be_presented_again_within_its_life(
    http: TestClient, deployer: str, ci: ExternalIssuer
) -> None:
    """No jti rule (protocol/external_issuers.py): workload tokens are reused by design."""
    assertion = ci.token()
    assert bearer(http, assertion).status_code == 200
    assert bearer(http, assertion).status_code == 200
    assert ci.server.hits == 2  # both documents cached


def test_an_issuer_trusted_by_its_jwks_uri_and_an_ec_key(
    runtime: Runtime, http: TestClient, gh: Gatehouse, deployer: str
) -> None:
    key = ECKey.generate_key("P-256", parameters={"kid": "k8s"}, private=True)
    with external_issuer(key) as cluster:
        gh.ok(
            "issuer", "trust", cluster.issuer, "--jwks-uri", cluster.jwks_uri,
            "--subject-claim", "sub", "--client", deployer,
            "--subject", "system:serviceaccount:shop:deployer",
        )  # fmt: skip
        response = bearer(http, cluster.token(sub="system:serviceaccount:shop:deployer"))
        assert response.status_code == 200, response.text
        assert cluster.server.hits == 1  # no discovery document


def test_another_claim_can_be_the_subject(
    http: TestClient, gh: Gatehouse, deployer: str, ci: ExternalIssuer
) -> None:
    gh.ok(
        "issuer", "trust", ci.issuer, "--subject-claim", "repository",
        "--client", deployer, "--subject", "octo-org/shop",
    )  # fmt: skip
    assert bearer(http, ci.token(sub="repo:octo-org/shop:pull_request")).status_code == 200
    assert_oauth_error(
        bearer(http, ci.token(repository="octo-org/other")), "invalid_grant", "'octo-org/other'"
    )


def test_a_configured_audience_replaces_gatehouses_own(
    http: TestClient, gh: Gatehouse, deployer: str, ci: ExternalIssuer
) -> None:
    gh.ok("issuer", "trust", ci.issuer, "--audience", "api://gatehouse")
    assert bearer(http, ci.token(aud=["sts.example", "api://gatehouse"])).status_code == 200
    assert_oauth_error(bearer(http, ci.token()), "invalid_grant", "aud must contain api://")
    gh.ok("issuer", "trust", ci.issuer, "--audience", "")
    assert bearer(http, ci.token()).status_code == 200


@pytest.mark.parametrize("aud", [ISSUER, [f"{ISSUER}/token", "https://other.example"]])
def test_gatehouses_issuer_url_is_an_audience_too(
    http: TestClient, deployer: str, ci: ExternalIssuer, aud: Any
) -> None:
    assert bearer(http, ci.token(aud=aud)).status_code == 200


NOW = int(time.time())


def _bad(ci: ExternalIssuer, keys: dict[str, RSAKey], case: str) -> str:
    tokens = {
        "untrusted-issuer": lambda: ci.token(iss="https://token.actions.example.net"),
        "hs256-with-the-public-key": lambda: ci.forged("HS256"),
        "alg-none": lambda: ci.forged("none"),
        "ps256": lambda: ci.token(alg="PS256"),
        "wrong-aud": lambda: ci.token(aud="https://other.example/token"),
        "no-aud": lambda: ci.token(aud=None),
        "expired": lambda: ci.token(iat=NOW - 900, nbf=NOW - 900, exp=int(time.time()) - 120),
        "no-exp": lambda: ci.token(exp=None),
        "future-nbf": lambda: ci.token(nbf=int(time.time()) + 600),
        "future-iat": lambda: ci.token(iat=int(time.time()) + 600),
        "exp-not-a-number": lambda: ci.token(exp="tomorrow"),
        "unknown-kid": lambda: ci.token(key=keys["not-published"]),
        "bad-signature": lambda: ci.token(key=keys["ci-1/impostor"]),
        "subject-not-allowed": lambda: ci.token(sub="repo:octo-org/shop:ref:refs/heads/dev"),
        "no-subject": lambda: ci.token(sub=None),
        "not-a-jwt": lambda: "not.a.jwt",
    }
    return tokens[case]()


BAD = [
    ("untrusted-issuer", "not a trusted issuer", "untrusted_issuer"),
    ("hs256-with-the-public-key", "never an HMAC", "algorithm"),
    ("alg-none", "RS256, ES256", "algorithm"),
    ("ps256", "RS256, ES256", "algorithm"),
    ("wrong-aud", f"aud must contain {ISSUER}/token or {ISSUER}", "audience"),
    ("no-aud", "aud must contain", "audience"),
    ("expired", "has expired", "expired"),
    ("no-exp", "no exp claim", "malformed"),
    ("future-nbf", "not valid yet", "not_yet_valid"),
    ("future-iat", "iat is in the future", "issued_in_future"),
    ("exp-not-a-number", "exp must be a NumericDate", "malformed"),
    ("unknown-kid", "no key with kid 'not-published'", "unknown_key"),
    ("bad-signature", "signature is not valid", "signature"),
    ("subject-not-allowed", "refs/heads/dev", "subject_not_allowed"),
    ("no-subject", "no sub claim", "subject_missing"),
    ("not-a-jwt", "not a signed JWT", "malformed"),
]


@pytest.mark.parametrize(("case", "fragment", "reason"), BAD, ids=[b[0] for b in BAD])
def test_every_bad_assertion_is_invalid_grant_and_audited(
    runtime: Runtime,
    http: TestClient,
    deployer: str,
    ci: ExternalIssuer,
    keys: dict[str, RSAKey],
    case: str,
    fragment: str,
    reason: str,
) -> None:
    assert_oauth_error(bearer(http, _bad(ci, keys, case)), "invalid_grant", fragment)
    [refused] = events(runtime, "token.jwt_bearer.refused")
    assert refused.client_id == deployer and refused.details["reason"] == reason
    assert events(runtime, "token.jwt_bearer.issued") == []


def test_a_subject_not_allowed_is_named_in_the_audit_event(
    runtime: Runtime, http: TestClient, deployer: str, ci: ExternalIssuer
) -> None:
    bearer(http, ci.token(sub="repo:evil/fork:ref:refs/heads/main"))
    [refused] = events(runtime, "token.jwt_bearer.refused")
    assert refused.details == {
        "reason": "subject_not_allowed",
        "issuer": ci.issuer,
        "subject": "repo:evil/fork:ref:refs/heads/main",
    }


def test_the_assertion_parameter_is_required(http: TestClient, deployer: str) -> None:
    response = http.post("/token", data={"grant_type": JWT_BEARER, "client_id": deployer})
    assert_oauth_error(response, "invalid_request", "assertion")


def test_an_issuer_trusted_for_another_client_only_is_refused(
    runtime: Runtime, http: TestClient, gh: Gatehouse, deployer: str, ci: ExternalIssuer
) -> None:
    gh.ok("client", "create", "--client-id", "reporter", "--grant-type", JWT_BEARER)
    grant_roles(runtime, "reporter", ORDERS_API, "orders.export")
    response = bearer(http, ci.token(), client_id="reporter")
    assert_oauth_error(response, "invalid_grant", "this client does not accept tokens of")


def test_a_discovery_document_naming_another_issuer_is_not_used(
    http: TestClient, deployer: str, ci: ExternalIssuer
) -> None:
    ci.server.paths["/.well-known/openid-configuration"]["issuer"] = "https://elsewhere.example"
    response = bearer(http, ci.token())
    assert_oauth_error(response, "invalid_grant", "names 'https://elsewhere.example', not")


def test_an_unreachable_key_server_is_invalid_grant_not_a_500(
    http: TestClient, deployer: str, ci: ExternalIssuer
) -> None:
    ci.server.mode = "error"
    assert_oauth_error(bearer(http, ci.token()), "invalid_grant", "answered HTTP 500")


def test_a_workload_client_without_a_secret_cannot_introspect(
    http: TestClient, deployer: str, ci: ExternalIssuer
) -> None:
    token = bearer(http, ci.token()).json()["access_token"]
    response = http.post("/introspect", data={"token": token, "client_id": deployer})
    assert_oauth_error(response, "invalid_client", "not public clients")


def test_a_client_with_a_secret_authenticates_and_presents_the_assertion(
    runtime: Runtime, http: TestClient, gh: Gatehouse, deployer: str, ci: ExternalIssuer
) -> None:
    created = gh.ok(
        "client", "create", "--client-id", "release",
        "--grant-type", JWT_BEARER, "--grant-type", "client_credentials",
    )  # fmt: skip
    assert created["auth_method"] == "client_secret_basic"
    grant_roles(runtime, "release", ORDERS_API, "orders.admin")
    gh.ok("issuer", "trust", ci.issuer, "--client", "release", "--subject", SUBJECT)
    assert_oauth_error(bearer(http, ci.token(), client_id="release"), "invalid_client")
    response = http.post(
        "/token",
        data={"grant_type": JWT_BEARER, "assertion": ci.token(), "scope": DEFAULT},
        auth=("release", created["client_secret"]),
    )
    assert response.status_code == 200, response.text
    assert token_claims(runtime, response.json()["access_token"])["roles"] == ["orders.admin"]


def test_a_client_not_registered_for_the_grant_is_unauthorized_client(
    runtime: Runtime, http: TestClient, gh: Gatehouse, ci: ExternalIssuer
) -> None:
    created = gh.ok(
        "client", "create", "--client-id", "daemon", "--grant-type", "client_credentials"
    )
    response = http.post(
        "/token",
        data={"grant_type": JWT_BEARER, "assertion": ci.token()},
        auth=("daemon", created["client_secret"]),
    )
    assert_oauth_error(response, "unauthorized_client", JWT_BEARER)


def test_distrusting_the_issuer_ends_its_grants(
    http: TestClient, gh: Gatehouse, deployer: str, ci: ExternalIssuer
) -> None:
    assert bearer(http, ci.token()).status_code == 200
    gh.ok("issuer", "distrust", ci.issuer, "--client", deployer)
    assert_oauth_error(bearer(http, ci.token()), "invalid_grant", "does not accept tokens")
    gh.ok("issuer", "distrust", ci.issuer)
    assert_oauth_error(bearer(http, ci.token()), "invalid_grant", "not a trusted issuer")


def test_discovery_advertises_the_grant(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert JWT_BEARER in metadata["grant_types_supported"]
