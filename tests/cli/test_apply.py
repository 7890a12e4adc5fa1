"""`gatehouse apply FILE.yaml`: configuration as code, idempotent and all-or-nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from tests.cli.conftest import Gatehouse

SHOP_SECRET = "shop-web-secret-0123456789abcdefghijkl"
ALICE_PASSWORD = "alice's long passphrase"

CONFIG = """\
scopes:
  - name: orders.read
    description: Read your orders
  - name: orders.write
    description: Change your orders
clients:
  - client_id: shop-web
    type: confidential
    secret: ${SHOP_WEB_SECRET}
    redirect_uris: [https://shop.example.com/callback]
    scope: openid profile orders.read
  - client_id: shop-spa
    type: public
    redirect_uris:
      - http://127.0.0.1:5173/callback
    web_origins: [http://127.0.0.1:5173]
    scope: openid orders.read orders.write
users:
  - username: alice
    password: ${ALICE_PASSWORD}
    email: alice@example.com
    name: Alice
  - username: bob
    email: bob@example.com
"""


@pytest.fixture
def env() -> dict[str, str]:
    return {"SHOP_WEB_SECRET": SHOP_SECRET, "ALICE_PASSWORD": ALICE_PASSWORD}


def write(tmp_path: Path, text: str, name: str = "gatehouse.yaml") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def actions(result: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(c["kind"], c["id"]): c["action"] for c in result["changes"]}


def snapshot(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Every row an apply could write, to prove a failed apply wrote nothing."""
    tables = (t.scopes, t.clients, t.client_secrets, t.users, t.apis, t.client_app_roles)
    with runtime.database.read() as conn:
        return {
            table.name: sorted(
                (tuple(str(v) for v in row) for row in conn.execute(sa.select(table))), key=str
            )
            for table in tables
        }


def test_apply_creates_scopes_clients_and_users(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path, env: dict[str, str]
) -> None:
    result = gh.ok("apply", write(tmp_path, CONFIG), **env)
    assert result["changed"] == 6
    assert actions(result) == {
        ("scope", "orders.read"): "created",
        ("scope", "orders.write"): "created",
        ("client", "shop-web"): "created",
        ("client", "shop-spa"): "created",
        ("user", "alice"): "created",
        ("user", "bob"): "created",
    }
    # ${ENV} expansion: the secret and the password come from the environment.
    (secret,) = runtime.store.clients.secrets("shop-web")
    assert secret.secret_hash == hashlib.sha256(SHOP_SECRET.encode()).hexdigest()
    assert "client_secret" not in str(result)  # given in the file, so not reported
    alice = runtime.store.users.find_by_login("alice")
    assert alice is not None and alice.name == "Alice"
    assert runtime.passwords.verify(alice.password_hash, ALICE_PASSWORD)
    bob = runtime.store.users.find_by_login("bob")
    assert bob is not None and bob.password_hash is None
    spa = runtime.store.clients.get("shop-spa")
    assert spa is not None
    assert (spa.client_type, spa.auth_method) == ("public", "none")
    assert spa.allowed_scopes == ("openid", "orders.read", "orders.write")


def test_a_generated_secret_is_reported_once(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "clients:\n  - client_id: web\n    redirect_uris: [https://app.example.com/cb]\n",
    )
    (change,) = gh.ok("apply", path)["changes"]
    secret = change["client_secret"]
    (stored,) = runtime.store.clients.secrets("web")
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    again = gh.ok("apply", path)
    assert again == {
        "changed": 0,
        "changes": [{"kind": "client", "id": "web", "action": "unchanged"}],
    }


def test_the_second_run_changes_nothing(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path, env: dict[str, str]
) -> None:
    path = write(tmp_path, CONFIG)
    gh.ok("apply", path, **env)
    before = snapshot(runtime)
    again = gh.ok("apply", path, **env)
    assert again["changed"] == 0
    assert set(actions(again).values()) == {"unchanged"}
    assert len(again["changes"]) == 6
    assert snapshot(runtime) == before


def test_a_modified_file_reports_exactly_the_changed_fields(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path, env: dict[str, str]
) -> None:
    gh.ok("apply", write(tmp_path, CONFIG), **env)
    modified = (
        CONFIG.replace("description: Change your orders", "description: Edit your orders")
        .replace(
            "redirect_uris: [https://shop.example.com/callback]",
            "redirect_uris: [https://shop.example.com/callback, https://shop.example.com/cb2]\n"
            "    name: Shop",
        )
        .replace("    name: Alice\n", "    name: Alice Liddell\n    email_verified: true\n")
        .replace("  - username: bob\n", "  - username: bob\n    disabled: true\n")
    )
    result = gh.ok("apply", write(tmp_path, modified, "v2.yaml"), **env)
    assert result["changed"] == 4
    changes = {(c["kind"], c["id"]): c for c in result["changes"]}
    assert changes["scope", "orders.read"]["action"] == "unchanged"
    assert changes["scope", "orders.write"]["action"] == "updated"
    assert changes["client", "shop-web"] == {
        "kind": "client",
        "id": "shop-web",
        "action": "updated",
        "fields": ["name", "redirect_uris"],
    }
    assert changes["client", "shop-spa"]["action"] == "unchanged"
    assert changes["user", "alice"]["fields"] == ["email_verified", "name"]
    assert changes["user", "bob"]["fields"] == ["disabled"]
    web = runtime.store.clients.get("shop-web")
    assert web is not None and web.name == "Shop"
    bob = runtime.store.users.find_by_login("bob")
    assert bob is not None and bob.disabled
    # And that is now the steady state.
    assert gh.ok("apply", write(tmp_path, modified, "v2.yaml"), **env)["changed"] == 0


def test_changed_secret_and_password_are_reported_without_their_values(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path, env: dict[str, str]
) -> None:
    path = write(tmp_path, CONFIG)
    gh.ok("apply", path, **env)
    new_secret, new_password = "rotated-shop-secret-0123456789abcdef", "a new passphrase!"
    result = gh.ok("apply", path, SHOP_WEB_SECRET=new_secret, ALICE_PASSWORD=new_password)
    changes = {(c["kind"], c["id"]): c for c in result["changes"]}
    assert changes["client", "shop-web"]["fields"] == ["secret"]
    assert changes["user", "alice"]["fields"] == ["password"]
    assert new_secret not in str(result) and new_password not in str(result)
    (secret,) = runtime.store.clients.secrets("shop-web")
    assert secret.secret_hash == hashlib.sha256(new_secret.encode()).hexdigest()


def test_a_users_address_is_declared_whole(gh: Gatehouse, runtime: Runtime, tmp_path: Path) -> None:
    first = "users:\n  - username: carol\n    address:\n      locality: Springfield\n"
    first += "      country: US\n"
    assert gh.ok("apply", write(tmp_path, first))["changed"] == 1
    assert gh.ok("apply", write(tmp_path, first, "again.yaml"))["changed"] == 0
    moved = "users:\n  - username: carol\n    address:\n      locality: Shelbyville\n"
    result = gh.ok("apply", write(tmp_path, moved, "moved.yaml"))
    assert result["changes"][0]["fields"] == ["address"]
    carol = runtime.store.users.find_by_login("carol")
    assert carol is not None and carol.address == {"locality": "Shelbyville"}  # country cleared
    unlisted = "users:\n  - username: carol\n"
    assert gh.ok("apply", write(tmp_path, unlisted, "unlisted.yaml"))["changed"] == 0
    wrong = "users:\n  - username: carol\n    address: Springfield\n"
    assert "address must be a mapping" in gh.fails("apply", write(tmp_path, wrong, "wrong.yaml"))
    unknown = "users:\n  - username: carol\n    address:\n      formatted: x\n"
    assert "not a part of an address" in gh.fails("apply", write(tmp_path, unknown, "u.yaml"))


def test_an_empty_file_changes_nothing(gh: Gatehouse, tmp_path: Path) -> None:
    assert gh.ok("apply", write(tmp_path, "")) == {"changed": 0, "changes": []}
    assert gh.ok("apply", write(tmp_path, "scopes: []\nusers:\n")) == {"changed": 0, "changes": []}


# -- invalid files write nothing ----------------------------------------------------------------

VALID_START = """\
scopes:
  - name: orders.read
    description: Read your orders
clients:
  - client_id: first
    redirect_uris: [https://app.example.com/cb]
    scope: openid orders.read
"""
# A second, valid-looking client entry and a valid first scope: what follows them breaks a rule.
SECOND = "  - client_id: second\n    redirect_uris: [https://a.example/cb]\n"
OK_SCOPE = "scopes:\n  - name: ok.scope\n    description: Fine\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # YAML syntax errors: where PyYAML stopped, and what it expected.
        (
            "scopes: [",
            "gatehouse.yaml, line 1, column 10: not valid YAML: while parsing a flow node, "
            "expected the node content, "
            "but found '<stream end>'",
        ),
        (
            "scopes:\n  - name: a\n   description: x\n",
            "gatehouse.yaml, line 3, column 4: not valid YAML: while parsing a block collection "
            "at line 2, expected <block end>, but found '<block mapping start>'",
        ),
        (
            "scopes:\n  - name: 'a\n",
            "gatehouse.yaml, line 3, column 1: not valid YAML: while scanning a quoted scalar at "
            "line 2, found unexpected end of stream",
        ),
        ("users: *nobody\n", "line 1, column 8: not valid YAML: found undefined alias 'nobody'"),
        (
            "scopes: []\n---\nusers: []\n",
            "line 2, column 1: not valid YAML: expected a single document in the stream at line 1, "
            "but found another document",
        ),
        # A repeated key would silently replace the first one's entries.
        (
            "scopes: []\nusers: []\nscopes: []\n",
            "line 3: key 'scopes' appears twice (lines 1 and 3)",
        ),
        (
            VALID_START + "    scope: openid\n",
            "line 5: clients[0] (client_id 'first'): key 'scope' appears twice (lines 7 and 8)",
        ),
        ("- just\n- a list\n", "must be a mapping"),
        ("just a string\n", "must be a mapping"),
        ("42\n", "must be a mapping"),
        ("scopes: {name: a}\n", "scopes must be a list"),
        ("scopes:\n  - just-a-name\n", "line 2: scopes[0] must be a mapping with a name"),
        (
            "clients:\n  - {redirect_uris: []}\n",
            "gatehouse.yaml, line 2: clients[0] must be a mapping with a client_id",
        ),
        ("clients:\n  - client_id: 7\n", "must be a mapping with a client_id"),
        ("scopes: []\nrolez: []\n", "line 2: unknown top-level key 'rolez'"),
        (
            VALID_START + "    secrett: x\n",
            "line 8: clients[0] (client_id 'first'): unknown key 'secrett'",
        ),
        (
            VALID_START + "users:\n  - username: a\n    pasword: x\n",
            "line 10: users[0] (username 'a'): unknown key 'pasword'",
        ),
        (
            VALID_START + "users:\n  - username: a\n    password: ${NOT_SET_ANYWHERE}\n",
            "line 9: users[0] (username 'a'): environment variable NOT_SET_ANYWHERE is not set",
        ),
        # Files whose problems only the business rules find, after earlier entries are fine:
        (
            VALID_START + "  - client_id: second\n    redirect_uris: [http://evil.example/cb]\n",
            "gatehouse.yaml, line 8: clients[1] (client_id 'second'): redirect URI "
            "'http://evil.example/cb': plain http redirect URIs are allowed only for loopback",
        ),
        (
            VALID_START + "  - client_id: second\n    redirect_uris: [https://*.a.example/cb]\n",
            "line 8: clients[1] (client_id 'second'): redirect URI 'https://*.a.example/cb': "
            "a redirect URI must not contain a wildcard",
        ),
        (
            VALID_START
            + "  - client_id: second\n    type: public\n    secret: "
            + "s" * 40
            + "\n    redirect_uris: [https://a.example/cb]\n",
            "line 8: clients[1] (client_id 'second'): a public client has no secret",
        ),
        (
            VALID_START + SECOND + "    scope: openid nope\n",
            "line 8: clients[1] (client_id 'second'): unknown scope 'nope'",
        ),
        (
            VALID_START + SECOND + "    scope: [openid]\n",
            "line 8: clients[1] (client_id 'second'): scope must be a space-separated string",
        ),
        (
            VALID_START + SECOND + "    grant_types: [implicit]\n",
            "line 8: clients[1] (client_id 'second'): the implicit grant needs a response type",
        ),
        (
            VALID_START + "users:\n  - username: alice\n    password: short\n",
            "line 9: users[0] (username 'alice'): a password must be at least 8 characters long",
        ),
        (VALID_START + "users:\n  - username: alice\n    email: not-an-email\n", "not an email"),
        (
            VALID_START + "users:\n  - username: alice\n  - username: ALICE\n",
            "appears more than once",
        ),
        (
            VALID_START + "  - client_id: first\n    redirect_uris: [https://a.example/cb]\n",
            "line 8: clients[1] (client_id 'first'): 'first' appears more than once (also "
            "clients[0])",
        ),
        (
            OK_SCOPE + "  - name: openid\n    description: Mine\n",
            "line 4: scopes[1] (name 'openid'): 'openid' is a standard OpenID scope",
        ),
        (
            OK_SCOPE + "  - name: bad scope\n    description: x\n",
            "printable ASCII",
        ),
        # A "$" anchor would also match before a final newline; every validator fullmatches.
        (OK_SCOPE + '  - name: "orders.write\\n"\n    description: x\n', "printable ASCII"),
        (
            VALID_START + '  - client_id: "second\\n"\n    redirect_uris: [https://a.example/cb]\n',
            "client_id must be 1-255 characters",
        ),
        (VALID_START + 'users:\n  - username: "bob\\n"\n', "without spaces or control"),
        (
            VALID_START + 'users:\n  - username: bob\n    email: "bob@example.com\\n"\n',
            "not an email",
        ),
        (
            "apis:\n  - identifier: https://api.example.com\n    scopes:\n"
            '      "orders.read\\n": Read your orders\n',
            "scope name 'orders.read\\n' must be 1-255 printable characters",
        ),
        (
            "apis:\n  - identifier: https://api.example.com\n    app_roles:\n"
            '      "orders.export\\n": Export every order\n',
            "app role name 'orders.export\\n' must be",
        ),
    ],
)
def test_an_invalid_file_is_one_error_line_and_writes_nothing(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path, text: str, message: str
) -> None:
    before = snapshot(runtime)
    line = gh.fails("apply", write(tmp_path, text))
    assert message in line
    assert snapshot(runtime) == before


API = "apis:\n  - identifier: https://api.example.com\n    name: Orders\n"
PK = "    grant_types: [client_credentials]\n    auth_method: private_key_jwt\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (VALID_START + SECOND + "    type: internal\n", "type must be confidential or public"),
        (
            VALID_START + SECOND + "    auth_method: tls_client_auth\n",
            "auth_method must be one of client_secret_basic",
        ),
        (
            VALID_START + SECOND + "    type: public\n    auth_method: client_secret_post\n",
            "it uses auth_method none and PKCE. Make it a confidential client",
        ),
        (
            VALID_START + "  - client_id: second\n    grant_types: [authorization_code]\n",
            "a redirect URI is required",
        ),
        (
            VALID_START + SECOND + "    id_token_signing_alg: HS256\n",
            "id_token_signing_alg must be RS256 or ES256",
        ),
        (
            VALID_START + SECOND + "    jwks_uri: https://a.example/jwks\n",
            "jwks and jwks_uri are only for auth_method private_key_jwt",
        ),
        (
            VALID_START + "  - client_id: second\n" + PK,
            "public keys: jwks (a JWK Set) or jwks_uri, not both",
        ),
        (
            VALID_START + "  - client_id: second\n" + PK + "    jwks_uri: http://a.example/j\n",
            "jwks_uri must be an https URL",
        ),
        (
            VALID_START + "  - client_id: second\n" + PK + "    jwks: {keys: []}\n",
            "jwks must be a JWK Set",
        ),
        (
            VALID_START + SECOND + "    type: public\n    grant_types: [authorization_code, "
            "refresh_token]\n    refresh_token_rotation: false\n",
            "(keep refresh_token_rotation on)",
        ),
        (VALID_START + SECOND + "    secret: short\n", "(leave the secret out to have one"),
    ],
)
def test_client_rule_errors_name_the_entry_and_its_keys(
    gh: Gatehouse, tmp_path: Path, text: str, message: str
) -> None:
    """The admin rules are shared with the CLI; what they say fits a file too: key names,
    never command-line options, after the entry they are about."""
    line = gh.fails("apply", write(tmp_path, text))
    assert "gatehouse.yaml, line 8: clients[1] (client_id 'second'): " in line
    assert message in line
    assert "--" not in line


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (API + "    signing_alg: HS256\n", "signing_alg must be RS256 or ES256"),
        (
            API + "    access_token_lifetime: 5\n",
            "access_token_lifetime must be between 60 and 86400 seconds",
        ),
        (API + "    access_token_lifetime: soon\n", "access_token_lifetime must be a number"),
        (API + "    scopes: [orders.read]\n", "scopes must map names to descriptions"),
        (API + "    client_id: nobody\n", "no client 'nobody' to link to the API"),
    ],
)
def test_api_rule_errors_name_the_entry_and_its_keys(
    gh: Gatehouse, tmp_path: Path, text: str, message: str
) -> None:
    line = gh.fails("apply", write(tmp_path, text))
    assert "gatehouse.yaml, line 2: apis[0] (identifier 'https://api.example.com'): " in line
    assert message in line
    assert "--" not in line


def test_an_invalid_update_leaves_the_previous_state(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path, env: dict[str, str]
) -> None:
    gh.ok("apply", write(tmp_path, CONFIG), **env)
    before = snapshot(runtime)
    broken = CONFIG.replace("name: Alice", "name: Alice L.").replace(
        "    email: bob@example.com\n", "    email: alice@example.com\n"
    )
    assert "a user with email" in gh.fails("apply", write(tmp_path, broken, "v2.yaml"), **env)
    assert snapshot(runtime) == before


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "cannot read"),
        ("directory", "cannot read"),
        ("not-utf8", "is not UTF-8"),
    ],
)
def test_unreadable_files(gh: Gatehouse, tmp_path: Path, setup: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    if setup == "directory":
        path.mkdir()
    elif setup == "not-utf8":
        path.write_bytes(b"scopes:\n  - name: caf\xe9\n")
    result = gh("apply", str(path))
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    if setup != "directory":  # click itself refuses a directory (exit 2)
        assert result.stderr.startswith("error: ") and message in result.stderr
        assert len(result.stderr.splitlines()) == 1


SERVICES = """\
apis:
  - identifier: https://api.example.com
    name: Orders API
    scopes:
      orders.read: Read your orders
    app_roles:
      orders.export: Export every order
      orders.admin: Administer orders
clients:
  - client_id: exporter
    grant_types: [client_credentials]
app_role_grants:
  - client_id: exporter
    api: https://api.example.com
    role: orders.export
  - client_id: exporter
    api: https://api.example.com
    role: orders.admin
"""


def test_several_app_role_grants_for_one_client(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path
) -> None:
    path = write(tmp_path, SERVICES)
    result = gh.ok("apply", path)
    assert [c["action"] for c in result["changes"]] == ["created"] * 4
    granted = runtime.store.apis.granted_roles("exporter", "https://api.example.com")
    assert granted == {"orders.export", "orders.admin"}
    assert gh.ok("apply", path)["changed"] == 0


def test_a_bad_grant_at_the_end_rolls_back_the_api_and_client(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path
) -> None:
    before = snapshot(runtime)
    broken = SERVICES.replace("role: orders.admin", "role: orders.superuser")
    line = gh.fails("apply", write(tmp_path, broken))
    assert (
        "gatehouse.yaml, line 16: app_role_grants[1] (client_id 'exporter'): "
        "https://api.example.com has no app role 'orders.superuser'"
    ) in line
    assert snapshot(runtime) == before
    assert runtime.store.apis.get("https://api.example.com") is None


def test_require_mfa_in_an_apply_file(gh: Gatehouse, runtime: Runtime, tmp_path: Path) -> None:
    text = VALID_START + SECOND + "    require_mfa: true\n"
    result = gh.ok("apply", write(tmp_path, text))
    assert result["changed"] >= 1
    second = runtime.store.clients.get("second")
    assert second is not None and second.require_mfa
    line = gh.fails(
        "apply", write(tmp_path, VALID_START + SECOND + "    require_mfa: yes please\n", "b.yaml")
    )
    assert "require_mfa must be true or false" in line


def test_a_device_flow_client_in_an_apply_file(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path
) -> None:
    text = (
        VALID_START
        + "  - client_id: tv\n    type: public\n"
        + "    grant_types: [urn:ietf:params:oauth:grant-type:device_code, refresh_token]\n"
        + "    scope: openid offline_access\n"
    )
    gh.ok("apply", write(tmp_path, text))
    tv = runtime.store.clients.get("tv")
    assert tv is not None and tv.redirect_uris == ()
    assert tv.grant_types == ("urn:ietf:params:oauth:grant-type:device_code", "refresh_token")
    assert tv.allowed_scopes == ("openid", "offline_access")


def test_response_types_and_legacy_grants_in_a_file(
    gh: Gatehouse, runtime: Runtime, tmp_path: Path
) -> None:
    """The same fields as `client create`; a legacy grant's warning in the change."""
    hybrid = (
        "clients:\n  - client_id: web\n    secret: " + "s" * 40 + "\n"
        "    redirect_uris: [https://app.example.com/cb]\n"
        "    response_types: [code, code id_token]\n"
    )
    (change,) = gh.ok("apply", write(tmp_path, hybrid))["changes"]
    assert (change["action"], "warnings" in change) == ("created", False)
    stored = runtime.store.clients.get("web")
    assert stored is not None and stored.response_types == ("code", "code id_token")
    legacy = hybrid.replace(
        "response_types: [code, code id_token]",
        "grant_types: [authorization_code, implicit]\n    response_types: [code, id_token token]",
    )
    (change,) = gh.ok("apply", write(tmp_path, legacy))["changes"]
    assert change["action"] == "updated"
    assert change["fields"] == ["grant_types", "response_types"]
    (warning,) = change["warnings"]
    assert warning.startswith("legacy implicit grant enabled")
    assert gh.ok("apply", write(tmp_path, legacy))["changed"] == 0


def test_require_dpop_in_an_apply_file(gh: Gatehouse, runtime: Runtime, tmp_path: Path) -> None:
    text = VALID_START + SECOND + "    require_dpop: true\n"
    assert gh.ok("apply", write(tmp_path, text))["changed"] >= 1
    second = runtime.store.clients.get("second")
    assert second is not None and second.require_dpop
    line = gh.fails(
        "apply", write(tmp_path, VALID_START + SECOND + "    require_dpop: sometimes\n", "b.yaml")
    )
    assert "require_dpop must be true or false" in line


def test_token_profiles_in_an_apply_file(gh: Gatehouse, runtime: Runtime, tmp_path: Path) -> None:
    text = (
        "apis:\n  - identifier: https://orders.example.com\n    token_profile: entra\n"
        + VALID_START
        + SECOND
        + "    token_profile: entra\n"
    )
    assert gh.ok("apply", write(tmp_path, text))["changed"] >= 1
    api = runtime.store.apis.get("https://orders.example.com")
    second = runtime.store.clients.get("second")
    assert api is not None and api.token_profile == "entra"
    assert second is not None and second.token_profile == "entra"
    first = runtime.store.clients.get("first")
    assert first is not None and first.token_profile == "oidc"
    line = gh.fails(
        "apply", write(tmp_path, VALID_START + SECOND + "    token_profile: v1\n", "b.yaml")
    )
    assert "token_profile must be oidc or entra, not 'v1'" in line
    bad_api = "apis:\n  - identifier: https://x.example.com\n    token_profile: oidc\n"
    line = gh.fails("apply", write(tmp_path, bad_api, "c.yaml"))
    assert "token_profile must be rfc9068 or entra, not 'oidc'" in line
