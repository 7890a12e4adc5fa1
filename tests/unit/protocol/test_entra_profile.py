"""The Entra token profile through the protocol core: which tokens carry Entra ID's v2.0
claims (an API's profile for access tokens, a client's for ID tokens and client_info), for
delegated and app-only tokens, against real storage."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gatehouse.keys.jose import verify_jwt
from gatehouse.protocol.audiences import Audience
from gatehouse.protocol.grants.client_credentials import ClientCredentialsGrant
from gatehouse.protocol.issuance import mint_for_audience
from gatehouse.protocol.provider import Provider
from gatehouse.runtime import Runtime
from gatehouse.settings import SIGNING_ALGS
from gatehouse.storage.records import User
from gatehouse.tokens import entra
from gatehouse.tokens.access_token import validate_access_token
from tests.support.factories import ORDERS_API, grant_roles, make_api
from tests.unit.protocol.conftest import issue, params, register

READ = f"{ORDERS_API}/orders.read"


def access_claims(provider: Provider, token: str) -> dict[str, Any]:
    ring = provider.keys.keyring()
    return validate_access_token(
        token, ring, issuer=provider.config.issuer, audience=ORDERS_API, now=provider.clock()
    )


def id_claims(provider: Provider, token: str) -> dict[str, Any]:
    ring = provider.keys.keyring()
    return verify_jwt(token, ring.verification_keys, algorithms=SIGNING_ALGS)[1]


@pytest.mark.parametrize(
    ("api_profile", "client_profile", "access_has", "id_has"),
    [
        ("rfc9068", "oidc", False, False),
        ("entra", "oidc", True, False),
        ("rfc9068", "entra", False, True),
        ("entra", "entra", True, True),
    ],
)
def test_the_api_profile_shapes_access_tokens_and_the_client_profile_id_tokens(
    runtime: Runtime,
    provider: Provider,
    alice: User,
    api_profile: str,
    client_profile: str,
    access_has: bool,
    id_has: bool,
) -> None:
    make_api(runtime, ORDERS_API, token_profile=api_profile)
    web = register(runtime, "web", token_profile=client_profile)
    response = issue(provider, web.client, alice, ("openid", "profile", READ))
    access = access_claims(provider, response.access_token)
    assert response.id_token is not None
    id_token = id_claims(provider, response.id_token)
    # RFC 9068's claims are there either way, with the same values.
    assert (access["sub"], access["client_id"], access["scope"]) == (alice.id, "web", "orders.read")
    assert access["aud"] == ORDERS_API  # the API identifier, as Microsoft.Identity.Web expects
    if access_has:
        assert {k: access[k] for k in entra.ACCESS_TOKEN_CLAIMS} == {
            "oid": alice.id,
            "tid": "default",
            "ver": "2.0",
            "azp": "web",
            "azpacr": "1",
            "idtyp": "user",
            "scp": "orders.read",  # without the API's prefix, as Entra v2.0 tokens
        }
    else:
        assert not set(entra.ACCESS_TOKEN_CLAIMS) & set(access)
    if id_has:
        assert (id_token["oid"], id_token["tid"], id_token["ver"]) == (alice.id, "default", "2.0")
        assert response.client_info == entra.client_info(
            web.client, subject=alice.id, tenant_id="default"
        )
    else:
        assert not {"oid", "tid", "ver"} & set(id_token)
        assert response.client_info is None


def test_a_public_clients_token_says_so(runtime: Runtime, provider: Provider, alice: User) -> None:
    make_api(runtime, ORDERS_API, token_profile="entra")
    spa = register(
        runtime,
        "spa",
        client_type="public",
        redirect_uris=["http://127.0.0.1:5173/callback"],
    )
    access = access_claims(provider, issue(provider, spa.client, alice, (READ,)).access_token)
    assert (access["azp"], access["azpacr"], access["scp"]) == ("spa", "0", "orders.read")


def test_an_app_only_token_has_roles_and_no_scp(runtime: Runtime, provider: Provider) -> None:
    make_api(runtime, ORDERS_API, token_profile="entra")
    daemon = register(
        runtime, "daemon", grant_types=["client_credentials"], redirect_uris=[], scopes=[]
    )
    grant_roles(runtime, "daemon", ORDERS_API, "orders.export")
    response = ClientCredentialsGrant().handle(
        provider, daemon.client, params(scope=f"{ORDERS_API}/.default")
    )
    access = access_claims(provider, response.access_token)
    assert access["roles"] == ["orders.export"]  # the roles client credentials already give
    assert (access["oid"], access["sub"], access["azp"]) == ("daemon", "daemon", "daemon")
    assert (access["idtyp"], access["azpacr"], access["tid"]) == ("app", "1", "default")
    assert "scp" not in access and "scope" not in access
    assert response.client_info is None  # no user, no account


def test_roles_of_a_delegated_token_are_carried_as_they_are(
    runtime: Runtime, provider: Provider, alice: User
) -> None:
    """The profile computes no roles of its own: whatever roles the token is given (the
    person's app roles, in delegated flows) are its roles claim, beside scp."""
    make_api(runtime, ORDERS_API, token_profile="entra")
    api = provider.apis.get(ORDERS_API)
    register(runtime, "web")
    web = provider.clients.get("web")
    assert web is not None
    token = mint_for_audience(
        provider,
        Audience(ORDERS_API, ("orders.read",), api),
        subject=alice.id,
        client=web,
        now=provider.clock(),
        extra_claims={"roles": ["orders.approver"]},
    ).value
    access = access_claims(provider, token)
    assert (access["roles"], access["scp"], access["idtyp"]) == (
        ["orders.approver"],
        "orders.read",
        "user",
    )


def test_the_tenant_is_the_providers(runtime: Runtime, provider: Provider, alice: User) -> None:
    """tid is the name of the tenant the provider serves (ProviderConfig.tenant_id)."""
    assert provider.config.tenant_id == "default"
    make_api(runtime, ORDERS_API, token_profile="entra")
    web = register(runtime, "web", token_profile="entra")
    contoso = replace(provider, config=replace(provider.config, tenant_id="contoso"))
    response = issue(contoso, web.client, alice, ("openid", READ))
    assert access_claims(provider, response.access_token)["tid"] == "contoso"
    assert response.id_token is not None
    assert id_claims(provider, response.id_token)["tid"] == "contoso"
