"""Several secrets per client, for rotation without downtime: adding, revoking and expiring
secrets, as seen by the token endpoint (RFC 6749 §2.3.1)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey
from starlette.testclient import TestClient

from gatehouse.admin import clients as client_admin
from gatehouse.admin.errors import AdminError
from gatehouse.runtime import Runtime
from tests.support.factories import (
    ORDERS_API,
    grant_roles,
    make_api,
    make_daemon,
    make_public_client,
)
from tests.support.flow import install_clock
from tests.support.tokens import assert_oauth_error, client_credentials

DEFAULT = f"{ORDERS_API}/.default"
GONE = "the client secret has expired or was revoked"


@pytest.fixture(params=["client_secret_basic", "client_secret_post"])
def daemon(request: pytest.FixtureRequest, runtime: Runtime) -> dict[str, Any]:
    make_api(runtime, ORDERS_API)
    client = make_daemon(runtime, auth_method=request.param)
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")
    return client


def with_secret(http: TestClient, client: dict[str, Any], secret: str) -> Any:
    if client["auth_method"] == "client_secret_post":
        return http.post(
            "/token",
            data={
                "grant_type": "client_credentials",
                "scope": DEFAULT,
                "client_id": client["client_id"],
                "client_secret": secret,
            },
        )
    return client_credentials(http, {**client, "client_secret": secret}, scope=DEFAULT)


def works(http: TestClient, client: dict[str, Any], secret: str) -> bool:
    response = with_secret(http, client, secret)
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


def test_a_second_secret_works_alongside_the_first(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    added = client_admin.add_secret(runtime, "daemon", None, None)
    assert added["client_secret"] != daemon["client_secret"]
    assert len(added["client_secret"]) >= 43
    assert works(http, daemon, daemon["client_secret"])
    assert works(http, daemon, added["client_secret"])


def test_a_chosen_second_secret(runtime: Runtime, http: TestClient, daemon: dict[str, Any]) -> None:
    chosen = "chosen-secret-" + "c" * 30
    added = client_admin.add_secret(runtime, "daemon", chosen, None)
    assert added["client_secret"] == chosen
    assert works(http, daemon, chosen)


def test_revoking_the_first_secret(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    added = client_admin.add_secret(runtime, "daemon", None, None)
    listed = client_admin.list_secrets(runtime, "daemon")
    assert [s["usable"] for s in listed] == [True, True]
    first = next(s["secret_id"] for s in listed if s["secret_id"] != added["secret_id"])
    client_admin.revoke_secret(runtime, "daemon", first)
    assert_oauth_error(with_secret(http, daemon, daemon["client_secret"]), "invalid_client", GONE)
    assert works(http, daemon, added["client_secret"])
    usable = {s["secret_id"]: s["usable"] for s in client_admin.list_secrets(runtime, "daemon")}
    assert usable == {first: False, added["secret_id"]: True}


def test_an_expired_secret_is_invalid_client(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    clock = install_clock(runtime)
    expiring = client_admin.add_secret(runtime, "daemon", None, int(time.time()) + 3600)
    assert works(http, daemon, expiring["client_secret"])
    clock.advance(3599)
    assert works(http, daemon, expiring["client_secret"])
    clock.advance(2)
    assert_oauth_error(with_secret(http, daemon, expiring["client_secret"]), "invalid_client", GONE)
    # The secret without an expiry is untouched.
    assert works(http, daemon, daemon["client_secret"])


def test_a_wrong_secret_is_told_apart_from_a_revoked_one(
    http: TestClient, daemon: dict[str, Any]
) -> None:
    body = assert_oauth_error(with_secret(http, daemon, "w" * 43), "invalid_client")
    assert "wrong client secret" in body["error_description"]
    assert GONE not in body["error_description"]


def test_revoking_every_secret_locks_the_client_out(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    for secret in client_admin.list_secrets(runtime, "daemon"):
        client_admin.revoke_secret(runtime, "daemon", secret["secret_id"])
    assert_oauth_error(with_secret(http, daemon, daemon["client_secret"]), "invalid_client", GONE)


def test_a_new_secret_from_update_replaces_all_secrets(
    runtime: Runtime, http: TestClient, daemon: dict[str, Any]
) -> None:
    added = client_admin.add_secret(runtime, "daemon", None, None)
    updated = client_admin.update_client(
        runtime, client_admin.ClientSpec("daemon"), new_secret=True
    )
    assert works(http, daemon, updated["client_secret"])
    assert not works(http, daemon, daemon["client_secret"])
    assert not works(http, daemon, added["client_secret"])


# -- Administration errors -------------------------------------------------------------------


def test_secret_administration_errors(runtime: Runtime, daemon: dict[str, Any]) -> None:
    with pytest.raises(AdminError, match="no client"):
        client_admin.add_secret(runtime, "nobody", None, None)
    with pytest.raises(AdminError, match="at least 32"):
        client_admin.add_secret(runtime, "daemon", "short", None)
    with pytest.raises(AdminError, match="in the future"):
        client_admin.add_secret(runtime, "daemon", None, int(time.time()) - 1)
    with pytest.raises(AdminError, match="no active secret"):
        client_admin.revoke_secret(runtime, "daemon", "no-such-id")
    first = client_admin.list_secrets(runtime, "daemon")[0]["secret_id"]
    client_admin.revoke_secret(runtime, "daemon", first)
    with pytest.raises(AdminError, match="no active secret"):
        client_admin.revoke_secret(runtime, "daemon", first)


def test_a_public_client_has_no_secrets(runtime: Runtime) -> None:
    make_public_client(runtime)
    with pytest.raises(AdminError, match="has no secrets"):
        client_admin.add_secret(runtime, "spa", None, None)


def test_secret_values_are_not_listed(runtime: Runtime, daemon: dict[str, Any]) -> None:
    added = client_admin.add_secret(runtime, "daemon", None, None)
    listed = repr(client_admin.list_secrets(runtime, "daemon"))
    assert daemon["client_secret"] not in listed
    assert added["client_secret"] not in listed


def test_an_expired_secret_no_longer_signs_client_secret_jwt(
    runtime: Runtime, http: TestClient
) -> None:
    make_api(runtime, ORDERS_API)
    make_daemon(runtime, "hmac", auth_method="client_secret_jwt")
    grant_roles(runtime, "hmac", ORDERS_API, "orders.export")
    clock = install_clock(runtime)
    expiring = client_admin.add_secret(runtime, "hmac", None, int(time.time()) + 600)

    def assertion() -> str:
        claims = {
            "iss": "hmac",
            "sub": "hmac",
            "aud": "http://testserver/token",
            "jti": str(clock.now) + "-" + str(time.monotonic_ns()),
            "exp": clock.now + 60,
        }
        key = OctKey.import_key(expiring["client_secret"].encode())
        return jwt.encode({"alg": "HS256"}, claims, key, algorithms=["HS256"])

    data = {
        "grant_type": "client_credentials",
        "scope": DEFAULT,
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    assert http.post("/token", data={**data, "client_assertion": assertion()}).status_code == 200
    clock.advance(601)
    response = http.post("/token", data={**data, "client_assertion": assertion()})
    assert_oauth_error(response, "invalid_client", "current client secret")
