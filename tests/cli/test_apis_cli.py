"""`gatehouse api …`, `grant/revoke app-role`, `grant list`, `consent list/revoke`,
`client secret …`, client keys for private_key_jwt, the refresh rotation switch, and `apply`
with apis and app_role_grants."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import ECKey, RSAKey
from starlette.testclient import TestClient

from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from gatehouse.web.app import create_app
from tests.cli.conftest import Gatehouse
from tests.conftest import ISSUER
from tests.support.factories import make_client, make_user
from tests.support.flow import get_tokens
from tests.support.tokens import client_credentials, refresh, token_claims

API = "https://orders.example.com"
CB = "https://app.example.com/callback"


def create_api(gh: Gatehouse, identifier: str = API, *extra: str) -> Any:
    return gh.ok(
        "api",
        "create",
        "--identifier",
        identifier,
        "--name",
        "Orders",
        "--scope",
        "orders.read=Read your orders",
        "--scope",
        "orders.write=Change your orders",
        "--app-role",
        "orders.export=Export every order",
        "--app-role",
        "orders.admin=Administer orders",
        *extra,
    )


def create_daemon(gh: Gatehouse, client_id: str = "daemon") -> Any:
    return gh.ok("client", "create", "--client-id", client_id, "--grant-type", "client_credentials")


# -- api create / update / list / show / delete ---------------------------------------------


def test_api_create_with_scopes_and_roles(gh: Gatehouse) -> None:
    created = create_api(gh, API, "--access-token-lifetime", "600", "--signing-alg", "RS256")
    assert created == {
        "identifier": API,
        "name": "Orders",
        "scopes": [
            {"name": "orders.read", "description": "Read your orders"},
            {"name": "orders.write", "description": "Change your orders"},
        ],
        "app_roles": [
            {"name": "orders.admin", "description": "Administer orders"},
            {"name": "orders.export", "description": "Export every order"},
        ],
        "access_token_lifetime": 600,
        "signing_alg": "RS256",
        "client_id": None,
        "admin_consent_required": [],
        "token_profile": "rfc9068",
    }
    assert gh.ok("api", "show", API) == created
    assert gh.ok("api", "list") == [created]


def test_api_update_replaces_lists_and_keeps_the_rest(gh: Gatehouse) -> None:
    create_api(gh, API, "--access-token-lifetime", "600")
    updated = gh.ok("api", "update", API, "--scope", "orders.read=Read orders only")
    assert updated["scopes"] == [{"name": "orders.read", "description": "Read orders only"}]
    assert [r["name"] for r in updated["app_roles"]] == ["orders.admin", "orders.export"]
    assert updated["access_token_lifetime"] == 600
    assert updated["name"] == "Orders"


def test_api_linked_client(gh: Gatehouse) -> None:
    create_daemon(gh, "orders-api")
    created = create_api(gh, API, "--client", "orders-api")
    assert created["client_id"] == "orders-api"
    line = gh.fails("api", "update", API, "--client", "nobody")
    assert "no client 'nobody'" in line


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--scope", "orders.read"), "--scope takes NAME=DESCRIPTION"),
        (("--app-role", "orders.export="), "--app-role takes NAME=DESCRIPTION"),
        (("--scope", "has space=Described"), "without spaces"),
        (("--scope", "a/b=Described"), "slashes"),
        (("--scope", ".default=Described"), ".default"),
        (("--scope", "x=One", "--scope", "x=Two"), "listed twice"),
        (("--access-token-lifetime", "5"), "between 60 and 86400"),
        (("--client", "nobody"), "no client 'nobody'"),
    ],
    ids=[
        "no-description",
        "empty-description",
        "space",
        "slash",
        "default",
        "duplicate",
        "lifetime",
        "unknown-client",
    ],
)
def test_api_create_errors(gh: Gatehouse, args: tuple[str, ...], fragment: str) -> None:
    line = gh.fails("api", "create", "--identifier", API, *args)
    assert fragment in line, line
    assert gh.ok("api", "list") == []


@pytest.mark.parametrize(
    ("identifier", "fragment"),
    [
        ("orders", "absolute URI"),
        (f"{API}#x", "without a fragment"),
        ("http://testserver", "issuer"),
        ("https://" + "a" * 520 + ".example", "longer than 512"),
    ],
    ids=["relative", "fragment", "issuer", "too-long"],
)
def test_api_identifier_errors(gh: Gatehouse, identifier: str, fragment: str) -> None:
    env = {"GATEHOUSE_ISSUER": "http://testserver"}
    line = gh.fails("api", "create", "--identifier", identifier, **env)
    assert fragment in line, line


def test_api_duplicates_and_missing(gh: Gatehouse) -> None:
    create_api(gh)
    assert "already exists" in gh.fails("api", "create", "--identifier", API)
    assert "no API" in gh.fails("api", "show", "https://nope.example")
    assert "no API" in gh.fails("api", "update", "https://nope.example", "--name", "x")
    assert "no API" in gh.fails("api", "delete", "https://nope.example")


def test_api_delete_refused_while_clients_use_its_scopes(gh: Gatehouse) -> None:
    create_api(gh)
    client = gh.ok(
        "client",
        "create",
        "--client-id",
        "web",
        "--redirect-uri",
        CB,
        "--scope",
        "openid orders.read",
    )
    assert client["scope"] == f"openid {API}/orders.read"  # stored canonically
    assert "clients still use this API's scopes: web" in gh.fails("api", "delete", API)
    gh.ok("client", "update", "web", "--scope", "openid")
    assert gh.ok("api", "delete", API) == {"deleted": API}
    assert gh.ok("api", "list") == []


def test_client_scopes_resolve_bare_names_and_refuse_ambiguity(gh: Gatehouse) -> None:
    create_api(gh, API)
    gh.ok(
        "api",
        "create",
        "--identifier",
        "https://other.example.com",
        "--scope",
        "orders.read=Read the other orders",
    )
    line = gh.fails(
        "client", "create", "--client-id", "web", "--redirect-uri", CB, "--scope", "orders.read"
    )
    assert "exists on several APIs" in line
    # The refusal names what to register instead.
    assert f"{API}/orders.read or https://other.example.com/orders.read" in line
    created = gh.ok(
        "client",
        "create",
        "--client-id",
        "web",
        "--redirect-uri",
        CB,
        "--scope",
        f"openid {API}/orders.read",
    )
    assert created["scope"] == f"openid {API}/orders.read"
    line = gh.fails(
        "client", "create", "--client-id", "web2", "--redirect-uri", CB, "--scope", "nope"
    )
    assert "unknown scope 'nope'" in line


# -- grant / revoke app-role, grant list -----------------------------------------------------


def test_grant_and_revoke_app_roles(gh: Gatehouse) -> None:
    create_api(gh)
    create_daemon(gh)
    granted = gh.ok(
        "grant", "app-role", "--client", "daemon", "--api", API, "--role", "orders.export"
    )
    assert granted == {"client_id": "daemon", "api": API, "role": "orders.export", "granted": True}
    # Granting twice is harmless.
    gh.ok("grant", "app-role", "--client", "daemon", "--api", API, "--role", "orders.export")
    gh.ok("grant", "app-role", "--client", "daemon", "--api", API, "--role", "orders.admin")
    expected = [
        {"client_id": "daemon", "api": API, "role": "orders.admin"},
        {"client_id": "daemon", "api": API, "role": "orders.export"},
    ]
    assert gh.ok("grant", "list") == expected
    assert gh.ok("grant", "list", "--client", "daemon") == expected
    assert gh.ok("grant", "list", "--client", "other") == []
    revoked = gh.ok(
        "revoke", "app-role", "--client", "daemon", "--api", API, "--role", "orders.admin"
    )
    assert revoked["granted"] is False
    assert gh.ok("grant", "list") == expected[1:]
    line = gh.fails(
        "revoke", "app-role", "--client", "daemon", "--api", API, "--role", "orders.admin"
    )
    assert "has no app role 'orders.admin'" in line


@pytest.mark.parametrize(
    ("client", "api", "role", "fragment"),
    [
        ("daemon", API, "orders.superuser", "has no app role 'orders.superuser'"),
        ("daemon", API, "orders.read", "has no app role 'orders.read'"),
        ("spa", API, "orders.export", "this client is public"),
        ("nobody", API, "orders.export", "no client 'nobody'"),
        ("daemon", "https://nope.example", "orders.export", "no API"),
    ],
    ids=["unknown-role", "a-scope-is-no-role", "public-client", "unknown-client", "unknown-api"],
)
def test_grant_app_role_errors(
    gh: Gatehouse, client: str, api: str, role: str, fragment: str
) -> None:
    create_api(gh)
    create_daemon(gh)
    gh.ok(
        "client",
        "create",
        "--client-id",
        "spa",
        "--type",
        "public",
        "--redirect-uri",
        "http://127.0.0.1:5173/callback",
    )
    line = gh.fails("grant", "app-role", "--client", client, "--api", api, "--role", role)
    assert fragment in line, line
    assert gh.ok("grant", "list") == []


def test_the_unknown_role_error_lists_the_roles(gh: Gatehouse) -> None:
    create_api(gh)
    create_daemon(gh)
    line = gh.fails("grant", "app-role", "--client", "daemon", "--api", API, "--role", "x")
    assert "orders.admin, orders.export" in line


def test_granted_roles_reach_the_token(gh: Gatehouse, runtime: Runtime, http: TestClient) -> None:
    create_api(gh)
    daemon = create_daemon(gh)
    gh.ok("grant", "app-role", "--client", "daemon", "--api", API, "--role", "orders.export")
    response = client_credentials(http, daemon, scope=f"{API}/.default")
    assert response.status_code == 200, response.text
    assert token_claims(runtime, response.json()["access_token"])["roles"] == ["orders.export"]


# -- client keys for private_key_jwt ---------------------------------------------------------


def _write(tmp_path: Path, name: str, document: Any) -> str:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


PKJWT = ("--grant-type", "client_credentials", "--auth-method", "private_key_jwt")


def test_private_key_jwt_with_a_public_jwks(gh: Gatehouse, tmp_path: Path) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    jwks = {"keys": [dict(key.as_dict(private=False))]}
    created = gh.ok(
        "client", "create", "--client-id", "pk", *PKJWT, "--jwks", _write(tmp_path, "j.json", jwks)
    )
    assert created["jwks"] == jwks
    assert created["jwks_uri"] is None
    assert "client_secret" not in created


def test_private_key_jwt_with_a_jwks_uri(gh: Gatehouse) -> None:
    created = gh.ok(
        "client",
        "create",
        "--client-id",
        "pk",
        *PKJWT,
        "--jwks-uri",
        "https://pk.example.com/jwks.json",
    )
    assert created["jwks_uri"] == "https://pk.example.com/jwks.json"
    assert created["jwks"] is None


def test_private_key_jwt_errors(gh: Gatehouse, tmp_path: Path) -> None:
    rsa = RSAKey.generate_key(2048, parameters={"kid": "k1"}, private=True)
    ec = ECKey.generate_key("P-256", parameters={"kid": "k2"}, private=True)
    private = {"keys": [dict(rsa.as_dict(private=False)), dict(ec.as_dict(private=True))]}
    cases = [
        ((), "needs the client's public keys"),
        (("--jwks", _write(tmp_path, "private.json", private)), "private key material"),
        (("--jwks", _write(tmp_path, "text.json", "not json")), "is not JSON"),
        (("--jwks", _write(tmp_path, "list.json", [1, 2])), "JWK Set object"),
        (("--jwks", _write(tmp_path, "empty.json", {"keys": []})), "JWK Set"),
        (("--jwks", _write(tmp_path, "bad.json", {"keys": [{"kty": "RSA"}]})), "jwks: "),
        (("--jwks", str(tmp_path / "missing.json")), "cannot read"),
        (("--jwks-uri", "http://pk.example.com/jwks"), "https URL"),
        (
            (
                "--jwks",
                _write(tmp_path, "ok.json", {"keys": [dict(rsa.as_dict(private=False))]}),
                "--jwks-uri",
                "https://pk.example.com/jwks",
            ),
            "public keys: jwks (a JWK Set) or jwks_uri, not both",
        ),
    ]
    for args, fragment in cases:
        line = gh.fails("client", "create", "--client-id", "pk", *PKJWT, *args)
        assert fragment in line, (args, line)
    assert gh.ok("client", "list") == []


def test_keys_only_with_private_key_jwt(gh: Gatehouse) -> None:
    line = gh.fails(
        "client",
        "create",
        "--client-id",
        "pk",
        "--grant-type",
        "client_credentials",
        "--jwks-uri",
        "https://pk.example.com/jwks",
    )
    assert "are only for auth_method private_key_jwt" in line


def test_client_secret_jwt_gets_a_secret(gh: Gatehouse) -> None:
    created = gh.ok(
        "client",
        "create",
        "--client-id",
        "hs",
        "--grant-type",
        "client_credentials",
        "--auth-method",
        "client_secret_jwt",
    )
    assert created["auth_method"] == "client_secret_jwt"
    assert len(created["client_secret"]) >= 43


# -- refresh rotation switch -----------------------------------------------------------------


def test_refresh_rotation_switch(
    gh: Gatehouse, runtime: Runtime, http: TestClient, settings: Settings
) -> None:
    created = gh.ok(
        "client",
        "create",
        "--client-id",
        "web",
        "--redirect-uri",
        CB,
        "--scope",
        "openid offline_access",
        "--no-refresh-rotation",
    )
    assert created["refresh_token_rotation"] is False
    make_user(runtime)
    token = get_tokens(http, created, scope="openid offline_access")["refresh_token"]
    body = refresh(http, created, token).json()
    assert "refresh_token" not in body
    updated = gh.ok("client", "update", "web", "--refresh-rotation")
    assert updated["refresh_token_rotation"] is True
    # A fresh process sees the change at once (a running one within its client cache time).
    fresh = build_runtime(settings)
    try:
        with TestClient(create_app(fresh), base_url=ISSUER) as other:
            rotated = refresh(other, created, token).json()
    finally:
        fresh.close()
    assert rotated["refresh_token"] != token


# -- client secrets --------------------------------------------------------------------------


def test_client_secret_add_list_revoke(gh: Gatehouse) -> None:
    first = create_daemon(gh)["client_secret"]
    added = gh.ok("client", "secret", "add", "daemon", "--expires-in", "30")
    assert added["client_secret"] != first
    assert added["expires_at"] is not None
    listed = gh.ok("client", "secret", "list", "daemon")
    assert len(listed) == 2 and all(s["usable"] for s in listed)
    assert first not in json.dumps(listed) and added["client_secret"] not in json.dumps(listed)
    revoked = gh.ok("client", "secret", "revoke", "daemon", added["secret_id"])
    assert revoked == {"client_id": "daemon", "secret_id": added["secret_id"], "revoked": True}
    usable = {s["secret_id"]: s["usable"] for s in gh.ok("client", "secret", "list", "daemon")}
    assert usable[added["secret_id"]] is False
    assert "no active secret" in gh.fails("client", "secret", "revoke", "daemon", "nope")
    assert "at least 32" in gh.fails("client", "secret", "add", "daemon", "--secret", "short")
    assert "no client" in gh.fails("client", "secret", "list", "nobody")


# -- consent list / revoke -------------------------------------------------------------------


def test_consent_list_and_revoke(gh: Gatehouse, runtime: Runtime, http: TestClient) -> None:
    make_user(runtime)
    web = make_client(runtime)
    token = get_tokens(http, web, scope="openid profile offline_access")["refresh_token"]
    (consent,) = gh.ok("consent", "list", "--user", "alice")
    assert consent["client_id"] == "web"
    assert consent["scopes"] == ["offline_access", "openid", "profile"]
    revoked = gh.ok("consent", "revoke", "--user", "alice", "--client", "web")
    assert revoked["revoked"] is True
    assert revoked["refresh_tokens_revoked"] >= 1
    assert gh.ok("consent", "list", "--user", "alice@example.com") == []
    assert refresh(http, web, token).status_code == 400
    assert "has not consented" in gh.fails(
        "consent", "revoke", "--user", "alice", "--client", "web"
    )
    assert "no user" in gh.fails("consent", "list", "--user", "nobody")


# -- apply with apis and app_role_grants -----------------------------------------------------

CONFIG = """\
apis:
  - identifier: https://orders.example.com
    name: Orders API
    client_id: orders-api
    access_token_lifetime: 900
    scopes:
      orders.read: Read your orders
      orders.write: Change your orders
    app_roles:
      - name: orders.export
        description: Export every order
      - name: orders.admin
        description: Administer orders
  - identifier: https://invoices.example.com
    scopes:
      invoices.read: Read your invoices
clients:
  - client_id: orders-api
    grant_types: [client_credentials]
  - client_id: exporter
    grant_types: [client_credentials]
  - client_id: shop
    redirect_uris: [https://shop.example.com/callback]
    scope: openid orders.read https://invoices.example.com/invoices.read
  - client_id: signer
    grant_types: [client_credentials]
    auth_method: private_key_jwt
    jwks_uri: https://signer.example.com/jwks.json
    refresh_token_rotation: false
app_role_grants:
  - client_id: exporter
    api: https://orders.example.com
    role: orders.export
  - client_id: signer
    api: https://orders.example.com
    role: orders.admin
"""


def test_apply_with_apis_and_grants_is_idempotent(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path, http: TestClient
) -> None:
    path = _write(tmp_path, "gatehouse.yaml", CONFIG)
    first = gh.ok("apply", path)
    assert first["changed"] == len(first["changes"])
    kinds = sorted((c["kind"], c["id"]) for c in first["changes"])
    assert ("api", "https://orders.example.com") in kinds
    assert ("app_role_grant", "exporter https://orders.example.com orders.export") in kinds
    second = gh.ok("apply", path)
    assert second["changed"] == 0, second
    assert {c["action"] for c in second["changes"]} == {"unchanged"}
    # What it made is what the file says.
    orders = gh.ok("api", "show", "https://orders.example.com")
    assert orders["client_id"] == "orders-api"
    assert orders["access_token_lifetime"] == 900
    shop = gh.ok("client", "show", "shop")
    assert shop["scope"] == (
        "openid https://orders.example.com/orders.read https://invoices.example.com/invoices.read"
    )
    assert gh.ok("client", "show", "signer")["jwks_uri"] == "https://signer.example.com/jwks.json"
    assert gh.ok("grant", "list", "--client", "exporter") == [
        {"client_id": "exporter", "api": "https://orders.example.com", "role": "orders.export"}
    ]
    # And it works: the exporter (secret reported once by the first run) gets its role.
    secret = next(
        c["client_secret"]
        for c in first["changes"]
        if c["id"] == "exporter" and "client_secret" in c
    )
    response = client_credentials(
        http,
        {"client_id": "exporter", "client_secret": secret},
        scope="https://orders.example.com/.default",
    )
    assert response.status_code == 200, response.text
    claims = token_claims(runtime, response.json()["access_token"])
    assert claims["roles"] == ["orders.export"]
    assert claims["exp"] - claims["iat"] == 900


def test_apply_reports_a_changed_api_and_a_new_grant(gh: Gatehouse, tmp_path: Path) -> None:
    gh.ok("apply", _write(tmp_path, "v1.yaml", CONFIG))
    changed = CONFIG.replace("access_token_lifetime: 900", "access_token_lifetime: 1200").replace(
        "    role: orders.admin\n",
        "    role: orders.admin\n  - client_id: exporter\n"
        "    api: https://orders.example.com\n    role: orders.admin\n",
    )
    result = gh.ok("apply", _write(tmp_path, "v2.yaml", changed))
    updates = [c for c in result["changes"] if c["action"] != "unchanged"]
    assert result["changed"] == 2, updates
    api_change = next(c for c in updates if c["kind"] == "api")
    assert api_change["fields"] == ["access_token_lifetime"]
    assert any(c["kind"] == "app_role_grant" and c["action"] == "created" for c in updates)
    assert gh.ok("apply", _write(tmp_path, "v2.yaml", changed))["changed"] == 0


@pytest.mark.parametrize(
    ("replace", "fragment"),
    [
        (("role: orders.export", "role: orders.nope"), "no app role 'orders.nope'"),
        (("    api: https://orders.example.com\n    role: orders.export", "    role: x"), "api"),
        (("name: Orders API", "name: Orders API\n    colour: blue"), "unknown key 'colour'"),
        (("access_token_lifetime: 900", "access_token_lifetime: soon"), "number of seconds"),
    ],
    ids=["unknown-role", "grant-without-api", "unknown-key", "lifetime-not-a-number"],
)
def test_apply_errors_are_one_line_and_write_nothing(
    gh: Gatehouse, tmp_path: Path, replace: tuple[str, str], fragment: str
) -> None:
    broken = CONFIG.replace(*replace)
    assert broken != CONFIG
    line = gh.fails("apply", _write(tmp_path, "broken.yaml", broken))
    assert fragment in line, line
    assert gh.ok("api", "list") == []
    assert gh.ok("client", "list") == []


def test_api_delete_tells_nested_identifiers_apart(gh: Gatehouse) -> None:
    create_api(gh, "https://api.example.com")
    create_api(gh, "https://api.example.com/v2")
    client = gh.ok(
        "client",
        "create",
        "--client-id",
        "web",
        "--redirect-uri",
        CB,
        "--scope",
        "openid https://api.example.com/v2/orders.read",
    )
    assert client["scope"] == "openid https://api.example.com/v2/orders.read"
    # The client uses the /v2 API only: the parent API can go, the child cannot.
    assert "still use" in gh.fails("api", "delete", "https://api.example.com/v2")
    assert gh.ok("api", "delete", "https://api.example.com") == {
        "deleted": "https://api.example.com"
    }


def test_dropping_an_app_role_drops_its_grants(runtime: Runtime) -> None:
    from gatehouse.admin import apis as api_admin
    from tests.support.factories import make_client

    make_client(runtime, "daemon", grant_types=["client_credentials"], redirect_uris=[])
    spec = api_admin.ApiSpec(
        identifier="https://inventory.example.com",
        roles=[("Stock.Read", "Read stock"), ("Stock.Write", "Change stock")],
    )
    api_admin.save_api(runtime, spec, create=True)
    api_admin.grant_app_role(runtime, "daemon", spec.identifier, "Stock.Read")
    api_admin.grant_app_role(runtime, "daemon", spec.identifier, "Stock.Write")
    spec.roles = [("Stock.Read", "Read stock")]
    api_admin.save_api(runtime, spec, create=False)
    assert api_admin.list_app_role_grants(runtime, "daemon") == [
        {"client_id": "daemon", "api": spec.identifier, "role": "Stock.Read"}
    ]


def test_the_token_profile_of_an_api(gh: Gatehouse) -> None:
    assert create_api(gh, API)["token_profile"] == "rfc9068"
    updated = gh.ok("api", "update", API, "--token-profile", "entra")
    assert updated["token_profile"] == "entra"
    assert gh.ok("api", "show", API)["token_profile"] == "entra"
    # An update that does not mention it keeps it; the scopes are kept too.
    kept = gh.ok("api", "update", API, "--name", "Orders v2")
    assert kept["token_profile"] == "entra" and len(kept["scopes"]) == 2
    assert gh.ok("api", "update", API, "--token-profile", "rfc9068")["token_profile"] == "rfc9068"
    result = gh("api", "update", API, "--token-profile", "v1")
    assert result.exit_code == 2 and "'v1' is not one of 'rfc9068', 'entra'" in result.stderr
