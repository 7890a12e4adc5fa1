"""tokens.entra: the claims of the Entra token profile (Microsoft identity platform v2.0),
each derived from one gatehouse already has."""

from __future__ import annotations

import base64
import json
from dataclasses import fields, replace
from typing import Any

import pytest

from gatehouse.storage.records import Api, Client
from gatehouse.tokens import entra

WEB = Client(
    client_id="web",
    name="web",
    client_type="confidential",
    auth_method="client_secret_basic",
    grant_types=("authorization_code",),
    redirect_uris=(),
    post_logout_redirect_uris=(),
    allowed_scopes=(),
    web_origins=(),
    first_party=False,
    id_token_signing_alg=None,
    created_at=0,
    updated_at=0,
)
SPA = replace(WEB, client_id="spa", client_type="public", auth_method="none")
ALICE = "6f1c1d1e-8f0b-4d5e-9a57-3f1c2b1a0e11"


@pytest.mark.parametrize(
    ("client", "azpacr"),
    [
        (SPA, "0"),
        (WEB, "1"),
        (replace(WEB, auth_method="client_secret_post"), "1"),
        (replace(WEB, auth_method="client_secret_jwt"), "1"),
        (replace(WEB, auth_method="private_key_jwt"), "2"),
        # A workload whose only credential is its issuer's signed assertion (JWT bearer).
        (replace(WEB, auth_method="none"), "2"),
    ],
    ids=["public", "secret-basic", "secret-post", "secret-jwt", "private-key-jwt", "workload"],
)
def test_azpacr_says_how_the_client_authenticated(client: Client, azpacr: str) -> None:
    assert entra.client_auth_class(client) == azpacr
    claims = entra.access_token_claims(
        client, subject=ALICE, scopes=("orders.read",), tenant_id="default", app_only=False
    )
    assert claims["azpacr"] == azpacr and claims["azp"] == client.client_id


@pytest.mark.parametrize(
    ("case", "client", "subject", "scopes", "app_only", "expected"),
    [
        (
            "delegated, confidential",
            WEB,
            ALICE,
            ("orders.read", "orders.write"),
            False,
            {
                "oid": ALICE,
                "tid": "contoso",
                "ver": "2.0",
                "azp": "web",
                "azpacr": "1",
                "idtyp": "user",
                "scp": "orders.read orders.write",
            },
        ),
        (
            "delegated, public",
            SPA,
            ALICE,
            ("orders.read",),
            False,
            {
                "oid": ALICE,
                "tid": "contoso",
                "ver": "2.0",
                "azp": "spa",
                "azpacr": "0",
                "idtyp": "user",
                "scp": "orders.read",
            },
        ),
        (
            # Delegated with no scope of this API (roles only): no empty scp.
            "delegated, no scopes",
            WEB,
            ALICE,
            (),
            False,
            {
                "oid": ALICE,
                "tid": "contoso",
                "ver": "2.0",
                "azp": "web",
                "azpacr": "1",
                "idtyp": "user",
            },
        ),
        (
            # App-only: oid is the client, as Entra puts the service principal's; no scp.
            "app-only",
            WEB,
            "web",
            (),
            True,
            {
                "oid": "web",
                "tid": "contoso",
                "ver": "2.0",
                "azp": "web",
                "azpacr": "1",
                "idtyp": "app",
            },
        ),
        (
            "client deleted meanwhile",
            None,
            ALICE,
            ("orders.read",),
            False,
            {"oid": ALICE, "tid": "contoso", "ver": "2.0", "idtyp": "user", "scp": "orders.read"},
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and " " in value else "",
)
def test_access_token_claims(
    case: str,
    client: Client | None,
    subject: str,
    scopes: tuple[str, ...],
    app_only: bool,
    expected: dict[str, Any],
) -> None:
    claims = entra.access_token_claims(
        client, subject=subject, scopes=scopes, tenant_id="contoso", app_only=app_only
    )
    assert claims == expected
    assert set(claims) <= set(entra.ACCESS_TOKEN_CLAIMS)


@pytest.mark.parametrize(
    ("profile", "expected"),
    [("oidc", {}), ("entra", {"oid": ALICE, "tid": "contoso", "ver": "2.0"})],
)
def test_id_token_claims_only_for_a_client_of_the_profile(
    profile: str, expected: dict[str, Any]
) -> None:
    client = replace(WEB, token_profile=profile)
    assert entra.id_token_claims(client, subject=ALICE, tenant_id="contoso") == expected


def test_client_info_is_msals_account_key() -> None:
    value = entra.client_info(
        replace(WEB, token_profile="entra"), subject=ALICE, tenant_id="contoso"
    )
    assert value is not None and "=" not in value  # base64url without padding
    document = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    assert document == {"uid": ALICE, "utid": "contoso"}
    assert entra.client_info(WEB, subject=ALICE, tenant_id="contoso") is None


def test_the_records_default_to_the_first_profile() -> None:
    """admin/token_profiles.py and the CLI take the first profile as the default."""
    defaults = {f.name: f.default for f in fields(Api)}
    assert defaults["token_profile"] == entra.API_PROFILES[0] == "rfc9068"
    assert WEB.token_profile == entra.CLIENT_PROFILES[0] == "oidc"
