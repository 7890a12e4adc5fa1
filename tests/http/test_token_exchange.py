"""Token exchange over HTTP (RFC 8693), on-behalf-of: the orders API, which received a
user's token from the shop, exchanges it for a token for the inventory API. What it issues,
and every way a request is refused (RFC 8693 §2.2.2, RFC 6749 §5.2), each one audited."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.testclient import TestClient

from gatehouse.admin import token_exchange as exchange_admin
from gatehouse.admin.apis import ApiSpec, save_api
from gatehouse.admin.role_assignments import assign_app_role
from gatehouse.admin.users import set_disabled
from gatehouse.protocol.grants.exchange_subject import ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE
from gatehouse.protocol.grants.token_exchange import GRANT_TYPE
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.conftest import ISSUER
from tests.support.factories import (
    ORDERS_API,
    grant_roles,
    make_api,
    make_client,
    make_daemon,
    make_user,
)
from tests.support.flow import install_clock, redeem, sign_in
from tests.support.tokens import (
    assert_oauth_error,
    client_credentials,
    client_post,
    revoke,
    token_claims,
)

INVENTORY_API = "https://inventory.example.com"
WAREHOUSE_API = "https://warehouse.example.com"
INVENTORY_READ = f"{INVENTORY_API}/inventory.read"


@pytest.fixture
def clients(runtime: Runtime) -> dict[str, dict[str, Any]]:
    """The shop (where alice signs in), the orders API's client (linked to the orders API,
    allowed to exchange for the inventory API) and a daemon with an app role on orders."""
    make_user(runtime)
    orders_api = make_daemon(runtime, "orders-api", grant_types=[GRANT_TYPE])
    inventory_api = make_daemon(runtime, "inventory-api", grant_types=[GRANT_TYPE])
    make_api(runtime, ORDERS_API, client_id="orders-api")
    make_api(
        runtime,
        INVENTORY_API,
        scopes=("inventory.read", "inventory.write"),
        roles=(),
        client_id="inventory-api",
    )
    make_api(runtime, WAREHOUSE_API, scopes=("stock.move",), roles=())
    shop = make_client(
        runtime,
        "shop",
        scopes=["openid", "orders.read", "inventory.read", "inventory.write", "stock.move"],
    )
    exchange_admin.grant_token_exchange(runtime, "orders-api", INVENTORY_API)
    daemon = make_daemon(runtime, "reporting")
    grant_roles(runtime, "reporting", ORDERS_API, "orders.export")
    return {
        "shop": shop,
        "orders-api": orders_api,
        "inventory-api": inventory_api,
        "daemon": daemon,
    }


def user_token(
    http: TestClient, shop: dict[str, Any], scope: str = "openid orders.read inventory.read"
) -> str:
    """alice signs in to the shop, consenting to ``scope``; its token for the orders API."""
    result = sign_in(http, "shop", scope=scope)
    response = redeem(http, result.params["code"], result.verifier, shop, resource=ORDERS_API)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def exchange(http: TestClient, client: dict[str, Any], subject_token: str, **extra: str) -> Any:
    data = {
        "grant_type": GRANT_TYPE,
        "subject_token": subject_token,
        "subject_token_type": ACCESS_TOKEN_TYPE,
        "resource": INVENTORY_API,
        **extra,
    }
    return client_post(http, "/token", client, {k: v for k, v in data.items() if v})


def audit(runtime: Runtime, kind: str) -> list[Any]:
    return runtime.store.audit.list(AuditQuery(types=(kind,)))


# -- What an exchange issues -------------------------------------------------------------------


def test_the_api_gets_a_token_for_the_downstream_api_for_the_same_user(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    subject = user_token(http, clients["shop"])
    response = exchange(http, clients["orders-api"], subject)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE  # RFC 8693 §2.2.1
    assert body["token_type"] == "Bearer"
    assert body["scope"] == INVENTORY_READ
    assert "refresh_token" not in body and "id_token" not in body
    before, after = token_claims(runtime, subject), token_claims(runtime, body["access_token"])
    assert after["sub"] == before["sub"]
    assert after["aud"] == INVENTORY_API
    assert after["client_id"] == "orders-api"
    assert after["scope"] == "inventory.read"
    assert after["act"] == {"sub": "orders-api"}  # RFC 8693 §4.1: delegation
    assert after["auth_time"] == before["auth_time"]
    assert after["exp"] <= before["exp"]

    [event] = audit(runtime, "token.exchanged")
    assert event.user_id == before["sub"] and event.client_id == "orders-api"
    assert event.details["api"] == INVENTORY_API
    assert event.details["scopes"] == ["inventory.read"]
    assert event.details["subject_client_id"] == "shop"
    assert event.details["subject_audience"] == ORDERS_API
    assert event.details["impersonation"] is False
    assert event.details["jti"] == after["jti"]


def test_the_exchanged_token_carries_the_persons_roles_for_the_downstream_api(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    # Roles are per API (docs/groups-and-roles.md): the person's roles for the inventory
    # API, none of the orders API's, whichever token the exchange started from.
    save_api(
        runtime,
        ApiSpec(
            INVENTORY_API,
            scopes=[("inventory.read", "Read"), ("inventory.write", "Write")],
            roles=[("inventory.audit", "Audit the stock")],
            client_id="inventory-api",
        ),
        create=False,
    )
    assign_app_role(runtime, INVENTORY_API, "inventory.audit", user="alice")
    assign_app_role(runtime, ORDERS_API, "orders.export", user="alice")
    subject = user_token(http, clients["shop"])
    assert token_claims(runtime, subject)["roles"] == ["orders.export"]

    response = exchange(http, clients["orders-api"], subject)

    assert response.status_code == 200, response.text
    assert token_claims(runtime, response.json()["access_token"])["roles"] == ["inventory.audit"]


@pytest.mark.parametrize(
    "extra",
    [
        {"audience": INVENTORY_API, "resource": ""},
        {"resource": "", "scope": INVENTORY_READ},
        {"subject_token_type": JWT_TOKEN_TYPE},
        {"scope": "inventory.read"},
    ],
    ids=["audience", "canonical-scope-names-the-api", "jwt-type", "bare-scope"],
)
def test_the_downstream_api_and_the_token_type_may_be_given_each_way(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]], extra: dict[str, str]
) -> None:
    response = exchange(http, clients["orders-api"], user_token(http, clients["shop"]), **extra)
    assert response.status_code == 200, response.text
    assert token_claims(runtime, response.json()["access_token"])["aud"] == INVENTORY_API


def test_without_scope_every_consented_scope_and_with_it_a_narrower_set(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    subject = user_token(http, clients["shop"], "openid orders.read inventory.read inventory.write")
    everything = exchange(http, clients["orders-api"], subject)
    assert everything.json()["scope"].split() == [
        INVENTORY_READ,
        f"{INVENTORY_API}/inventory.write",
    ]
    narrowed = exchange(http, clients["orders-api"], subject, scope="inventory.write")
    assert token_claims(runtime, narrowed.json()["access_token"])["scope"] == "inventory.write"


def test_the_exchanged_token_ends_with_the_token_it_came_from(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    clock = install_clock(runtime)
    subject = user_token(http, clients["shop"])
    clock.advance(3000)  # 600 s of the subject token's hour are left
    body = exchange(http, clients["orders-api"], subject).json()
    assert body["expires_in"] == 600
    assert (
        token_claims(runtime, body["access_token"])["exp"] == token_claims(runtime, subject)["exp"]
    )


def test_a_chain_of_exchanges_nests_the_actors(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    """The inventory API calls the warehouse API in turn: act names the latest actor, with
    the earlier one inside (RFC 8693 §4.1). Its consent: the user's, given to the client the
    token it holds was issued to (here stored as if alice had consented to orders-api)."""
    exchange_admin.grant_token_exchange(runtime, "inventory-api", WAREHOUSE_API)
    first = exchange(http, clients["orders-api"], user_token(http, clients["shop"])).json()
    user_id = token_claims(runtime, first["access_token"])["sub"]
    runtime.store.consents.grant(
        user_id, "orders-api", frozenset({f"{WAREHOUSE_API}/stock.move"}), 0
    )

    second = exchange(http, clients["inventory-api"], first["access_token"], resource=WAREHOUSE_API)
    assert second.status_code == 200, second.text
    claims = token_claims(runtime, second.json()["access_token"])
    assert claims["aud"] == WAREHOUSE_API and claims["sub"] == user_id
    assert claims["act"] == {"sub": "inventory-api", "act": {"sub": "orders-api"}}


def test_impersonation_only_where_an_operator_allowed_it(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    exchange_admin.grant_token_exchange(runtime, "orders-api", INVENTORY_API, impersonation=True)
    body = exchange(http, clients["orders-api"], user_token(http, clients["shop"])).json()
    assert "act" not in token_claims(runtime, body["access_token"])
    [event] = audit(runtime, "token.exchanged")
    assert event.details["impersonation"] is True


# -- Refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "error", "fragment"),
    [
        (
            {"requested_token_type": "urn:ietf:params:oauth:token-type:refresh_token"},
            "invalid_request",
            "requested_token_type 'urn:ietf:params:oauth:token-type:refresh_token' is not "
            "supported; this server issues only urn:ietf:params:oauth:token-type:access_token",
        ),
        (
            {"subject_token_type": "urn:ietf:params:oauth:token-type:saml2"},
            "invalid_request",
            "subject_token_type 'urn:ietf:params:oauth:token-type:saml2' is not supported",
        ),
        ({"subject_token_type": ""}, "invalid_request", "subject_token_type parameter is required"),
        (
            {"actor_token": "x", "actor_token_type": ACCESS_TOKEN_TYPE},
            "invalid_request",
            "actor_token is not supported",
        ),
        ({"resource": ""}, "invalid_request", "name the downstream API with the resource"),
        (
            {"resource": "https://nowhere.example.com"},
            "invalid_target",
            "'https://nowhere.example.com' is not a registered API",
        ),
        ({"resource": "not a uri"}, "invalid_target", "must be an absolute URI"),
        (
            {"audience": WAREHOUSE_API},
            "invalid_target",
            "a token is for one API; the request names several",
        ),
        (
            {"resource": WAREHOUSE_API},
            "invalid_target",
            f"this client may not exchange tokens for {WAREHOUSE_API}; an operator allows it "
            f"with `gatehouse grant token-exchange --client orders-api --api {WAREHOUSE_API}`",
        ),
        (
            {"scope": "inventory.write"},
            "invalid_scope",
            "the user has not consented to inventory.write on https://inventory.example.com; "
            "an exchange can only narrow what they allowed (inventory.read)",
        ),
        ({"scope": "inventory.delete"}, "invalid_scope", "'inventory.delete' is not a scope of"),
        (
            {"scope": f"{ORDERS_API}/orders.read"},
            "invalid_scope",
            f"'{ORDERS_API}/orders.read' is not a scope of {INVENTORY_API}",
        ),
    ],
    ids=[
        "requested-type",
        "subject-type",
        "no-subject-type",
        "actor-token",
        "no-target",
        "unknown-api",
        "resource-not-uri",
        "two-targets",
        "pair-not-allowed",
        "upscoping",
        "unknown-scope",
        "scope-of-another-api",
    ],
)
def test_bad_requests_get_the_spec_error(
    runtime: Runtime,
    http: TestClient,
    clients: dict[str, dict[str, Any]],
    extra: dict[str, str],
    error: str,
    fragment: str,
) -> None:
    response = exchange(http, clients["orders-api"], user_token(http, clients["shop"]), **extra)
    assert_oauth_error(response, error, fragment)
    [event] = audit(runtime, "token.exchange_refused")
    assert event.client_id == "orders-api"
    assert event.details["error"] == error and fragment[:40] in event.details["reason"]
    assert audit(runtime, "token.exchanged") == []


def test_canonical_scopes_of_two_apis_without_a_target_are_invalid_target(
    http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    response = exchange(
        http,
        clients["orders-api"],
        user_token(http, clients["shop"]),
        resource="",
        scope=f"{INVENTORY_READ} {ORDERS_API}/orders.read",
    )
    assert_oauth_error(response, "invalid_target", "a token is for one API")


def foreign_token(issuer: str, **claims: Any) -> str:
    """An at+jwt that gatehouse did not sign."""
    key = ECKey.generate_key("P-256")
    payload = {"iss": issuer, "sub": "alice", "aud": ORDERS_API, "jti": "x", "iat": 1, **claims}
    payload.setdefault("exp", 4102444800)
    return jwt.encode({"alg": "ES256", "typ": "at+jwt"}, payload, key)


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("garbage", "the subject_token is neither an access token issued by this server"),
        (
            foreign_token("https://elsewhere.example.com"),
            "the subject_token is neither an access token issued by this server",
        ),
        (foreign_token(ISSUER), "the subject_token is not usable: the access token is malformed"),
    ],
    ids=["garbage", "foreign-issuer", "our-issuer-not-our-key"],
)
def test_a_token_gatehouse_did_not_issue_is_refused(
    runtime: Runtime,
    http: TestClient,
    clients: dict[str, dict[str, Any]],
    token: str,
    fragment: str,
) -> None:
    assert_oauth_error(exchange(http, clients["orders-api"], token), "invalid_request", fragment)
    [event] = audit(runtime, "token.exchange_refused")
    assert event.user_id is None and "subject_client_id" not in event.details


def test_a_token_for_another_audience_is_not_the_callers_to_exchange(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    subject = user_token(http, clients["shop"])
    # inventory-api speaks for the inventory API, not for the orders API the token is for.
    response = exchange(http, clients["inventory-api"], subject)
    assert_oauth_error(
        response,
        "invalid_request",
        f"the subject_token is for {ORDERS_API}, not for an API this client speaks for "
        f"({INVENTORY_API})",
    )
    # A client no API is linked to is told how to link one.
    loner = make_daemon(runtime, "loner", grant_types=[GRANT_TYPE])
    assert_oauth_error(
        exchange(http, loner, subject),
        "invalid_request",
        "no API is linked to this client; an operator links the API to the client that "
        "speaks for it with `gatehouse api update API --client loner`",
    )


def test_an_expired_subject_token_is_refused(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    clock = install_clock(runtime)
    subject = user_token(http, clients["shop"])
    clock.advance(3600)
    assert_oauth_error(
        exchange(http, clients["orders-api"], subject),
        "invalid_request",
        "the subject_token is not usable: the access token has expired",
    )


def test_a_revoked_subject_token_is_refused(
    http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    subject = user_token(http, clients["shop"])
    assert revoke(http, clients["shop"], subject).status_code == 200
    assert_oauth_error(
        exchange(http, clients["orders-api"], subject),
        "invalid_request",
        "the subject_token is not usable: the access token has been revoked",
    )


def test_a_disabled_users_token_is_refused(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    subject = user_token(http, clients["shop"])
    set_disabled(runtime, "alice", True)
    assert_oauth_error(
        exchange(http, clients["orders-api"], subject),
        "invalid_request",
        "the user of this access token is disabled or deleted",
    )


def test_a_client_credentials_token_has_no_user_to_act_for(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    app_token = client_credentials(http, clients["daemon"], resource=ORDERS_API).json()
    response = exchange(http, clients["orders-api"], app_token["access_token"])
    assert_oauth_error(
        response,
        "invalid_request",
        "a client's own token (client credentials): it speaks for no user",
    )


def test_without_the_users_consent_for_the_downstream_api_it_is_invalid_grant(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    subject = user_token(http, clients["shop"], "openid orders.read")
    response = exchange(http, clients["orders-api"], subject)
    assert_oauth_error(
        response,
        "invalid_grant",
        f"the user has not consented to any scope of {INVENTORY_API} for shop or orders-api",
    )
    [event] = audit(runtime, "token.exchange_refused")
    assert event.user_id == token_claims(runtime, subject)["sub"]
    assert event.details["subject_client_id"] == "shop"


def test_a_client_not_registered_for_the_grant_is_unauthorized(
    http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    subject = user_token(http, clients["shop"])
    assert_oauth_error(
        exchange(http, clients["shop"], subject),
        "unauthorized_client",
        f"this client is not allowed to use the {GRANT_TYPE} grant",
    )


def test_a_revoked_exchange_grant_refuses_at_once(
    runtime: Runtime, http: TestClient, clients: dict[str, dict[str, Any]]
) -> None:
    subject = user_token(http, clients["shop"])
    assert exchange(http, clients["orders-api"], subject).status_code == 200
    exchange_admin.revoke_token_exchange(runtime, "orders-api", INVENTORY_API)
    assert_oauth_error(
        exchange(http, clients["orders-api"], subject), "invalid_target", "may not exchange"
    )


def test_discovery_advertises_the_grant(http: TestClient) -> None:
    metadata = http.get("/.well-known/openid-configuration").json()
    assert GRANT_TYPE in metadata["grant_types_supported"]
    assert (
        GRANT_TYPE
        in http.get("/.well-known/oauth-authorization-server").json()["grant_types_supported"]
    )
