"""`gatehouse client …`: registering client applications."""

from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa

from gatehouse.runtime import Runtime
from gatehouse.storage.sql import tables as t
from tests.cli.conftest import Gatehouse

CB = "https://app.example.com/callback"


def stored_secret_rows(runtime: Runtime, client_id: str) -> list[dict[str, object]]:
    with runtime.database.read() as conn:
        rows = conn.execute(
            sa.select(t.client_secrets).where(t.client_secrets.c.client_id == client_id)
        ).mappings()
        return [dict(r) for r in rows]


def every_stored_value(runtime: Runtime, client_id: str) -> str:
    with runtime.database.read() as conn:
        client = conn.execute(
            sa.select(t.clients).where(t.clients.c.client_id == client_id)
        ).mappings()
        return repr([dict(r) for r in client]) + repr(stored_secret_rows(runtime, client_id))


def test_create_a_confidential_client(gh: Gatehouse, runtime: Runtime) -> None:
    created = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    secret = created["client_secret"]
    assert len(secret) >= 43
    assert created["client_id"] == "web"
    assert created["type"] == "confidential"
    assert created["auth_method"] == "client_secret_basic"
    assert created["redirect_uris"] == [CB]
    # Stored only as its SHA-256.
    (row,) = stored_secret_rows(runtime, "web")
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in every_stored_value(runtime, "web")


def test_the_generated_secret_is_printed_only_once(gh: Gatehouse) -> None:
    secret = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)["client_secret"]
    for args in (("client", "show", "web"), ("client", "list"), ("client", "update", "web")):
        result = gh(*args, "--name", "Web") if args[1] == "update" else gh(*args)
        assert result.exit_code == 0
        assert secret not in result.stdout
        assert '"client_secret":' not in result.stdout


def test_create_with_a_chosen_secret(gh: Gatehouse, runtime: Runtime) -> None:
    secret = "c" * 32
    created = gh.ok(
        "client", "create", "--client-id", "web", "--redirect-uri", CB, "--secret", secret
    )
    assert created["client_secret"] == secret
    (row,) = stored_secret_rows(runtime, "web")
    assert row["secret_hash"] == hashlib.sha256(secret.encode()).hexdigest()


def test_a_short_secret_is_rejected(gh: Gatehouse, runtime: Runtime) -> None:
    line = gh.fails(
        "client", "create", "--client-id", "web", "--redirect-uri", CB, "--secret", "c" * 31
    )
    assert "at least 32" in line
    assert runtime.store.clients.get("web") is None


def test_create_a_public_client(gh: Gatehouse, runtime: Runtime) -> None:
    created = gh.ok(
        "client",
        "create",
        "--client-id",
        "spa",
        "--type",
        "public",
        "--redirect-uri",
        "http://127.0.0.1:5173/callback",
        "--web-origin",
        "http://127.0.0.1:5173",
        "--scope",
        "openid profile",
        "--first-party",
    )
    assert "client_secret" not in created
    assert (created["type"], created["auth_method"]) == ("public", "none")
    assert created["scope"] == "openid profile"
    assert created["web_origins"] == ["http://127.0.0.1:5173"]
    assert created["first_party"] is True
    assert stored_secret_rows(runtime, "spa") == []


def test_list_and_show(gh: Gatehouse) -> None:
    gh.ok("client", "create", "--client-id", "b-web", "--redirect-uri", CB)
    gh.ok("client", "create", "--client-id", "a-web", "--redirect-uri", CB, "--name", "A")
    listed = gh.ok("client", "list")
    assert [c["client_id"] for c in listed] == ["a-web", "b-web"]
    shown = gh.ok("client", "show", "a-web")
    assert shown == listed[0]
    assert shown["name"] == "A"


def test_update_changes_only_what_is_given(gh: Gatehouse) -> None:
    before = gh.ok(
        "client", "create", "--client-id", "web", "--redirect-uri", CB, "--scope", "openid email"
    )
    del before["client_secret"]
    other = "https://app.example.com/other"
    after = gh.ok(
        "client", "update", "web", "--redirect-uri", other, "--redirect-uri", CB, "--name", "Web"
    )
    assert after["redirect_uris"] == [other, CB]  # a list option replaces the stored list
    assert after["name"] == "Web"
    unchanged = {k: v for k, v in after.items() if k not in ("redirect_uris", "name")}
    assert unchanged == {k: v for k, v in before.items() if k not in ("redirect_uris", "name")}


def test_update_with_a_new_secret(gh: Gatehouse, runtime: Runtime) -> None:
    old = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)["client_secret"]
    new = gh.ok("client", "update", "web", "--new-secret")["client_secret"]
    assert new != old
    hashes = [r["secret_hash"] for r in stored_secret_rows(runtime, "web")]
    assert hashes == [hashlib.sha256(new.encode()).hexdigest()]


def test_delete(gh: Gatehouse, runtime: Runtime) -> None:
    gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    assert gh.ok("client", "delete", "web") == {"deleted": "web"}
    assert runtime.store.clients.get("web") is None
    assert stored_secret_rows(runtime, "web") == []
    assert "no client" in gh.fails("client", "show", "web")
    assert "no client" in gh.fails("client", "delete", "web")


def test_the_database_url_option_beats_the_environment(gh: Gatehouse, database_url: str) -> None:
    result = gh(
        "client",
        "create",
        "--client-id",
        "web",
        "--redirect-uri",
        CB,
        "--database-url",
        database_url,
        GATEHOUSE_DATABASE_URL="mysql://x",
    )
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--type", "public", "--secret", "s" * 40], "public client has no secret"),
        (["--type", "public", "--auth-method", "client_secret_basic"], "public client"),
        (["--type", "public", "--auth-method", "client_secret_post"], "public client"),
        (["--auth-method", "none"], "confidential client must authenticate"),
        (["--redirect-uri", "http://app.example.com/cb"], "only for loopback"),
        (["--redirect-uri", "https://app.example.com/cb#frag"], "fragment"),
        (["--redirect-uri", "/callback"], "absolute"),
        (["--redirect-uri", "javascript:alert(1)"], "not allowed"),
        (
            ["--redirect-uri", "https://*.example.com/cb"],
            "redirect URI 'https://*.example.com/cb': a redirect URI must not contain a "
            "wildcard (*): gatehouse compares redirect URIs exactly",
        ),
        (["--post-logout-redirect-uri", "https://app.example.com/*"], "wildcard (*)"),
        (["--scope", "openid orders.read"], "unknown scope 'orders.read'"),
        (["--grant-type", "device"], "unsupported grant type 'device'"),
        # The legacy grants: an operator gives them to one client, on conditions.
        (["--grant-type", "implicit"], "the implicit grant needs a response type"),
        (["--type", "public", "--grant-type", "password"], "public client cannot use the password"),
        (["--response-type", "token"], "unsupported response type 'token'"),
        (["--response-type", "id_token"], "'id_token' needs the implicit grant"),
        (["--web-origin", "https://app.example.com/path"], "web origin"),
        (["--web-origin", "app.example.com"], "web origin"),
        (["--post-logout-redirect-uri", "http://evil.example/"], "post-logout redirect URI"),
        (["--secret", "short"], "at least 32"),
    ],
)
def test_invalid_clients_are_rejected_with_one_line(
    gh: Gatehouse, runtime: Runtime, args: list[str], message: str
) -> None:
    if "--redirect-uri" not in args:
        args = [*args, "--redirect-uri", "http://127.0.0.1:8080/cb"]
    line = gh.fails("client", "create", "--client-id", "bad", *args)
    assert message in line
    assert runtime.store.clients.get("bad") is None


def test_authorization_code_needs_a_redirect_uri(gh: Gatehouse) -> None:
    assert "a redirect URI is required" in gh.fails("client", "create", "--client-id", "web")


def test_a_duplicate_client_is_rejected(gh: Gatehouse) -> None:
    gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    assert "already exists" in gh.fails(
        "client", "create", "--client-id", "web", "--redirect-uri", CB
    )


def test_an_update_that_breaks_a_rule_changes_nothing(gh: Gatehouse) -> None:
    before = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    gh.fails("client", "update", "web", "--type", "public", "--secret", "s" * 40)
    gh.fails("client", "update", "web", "--redirect-uri", "http://evil.example/cb")
    del before["client_secret"]
    assert gh.ok("client", "show", "web") == before


def test_deleting_a_client_unlinks_the_api_it_authenticated_as(runtime: Runtime) -> None:
    from gatehouse.admin import apis as api_admin
    from gatehouse.admin import clients as client_admin
    from tests.support.factories import make_client

    make_client(runtime, "orders-api", grant_types=["client_credentials"], redirect_uris=[])
    api_admin.save_api(
        runtime,
        api_admin.ApiSpec(identifier="https://orders.example.com", client_id="orders-api"),
        create=True,
    )
    client_admin.delete_client(runtime, "orders-api")
    api = runtime.store.apis.get("https://orders.example.com")
    assert api is not None and api.client_id is None


def test_a_refused_update_changes_nothing(gh: Gatehouse) -> None:
    """An update is all or nothing: a secret for a method that has none is refused before the
    rest of the change is written."""
    before = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    del before["client_secret"]
    message = gh.fails(
        "client",
        "update",
        "web",
        "--name",
        "Changed",
        "--auth-method",
        "private_key_jwt",
        "--jwks-uri",
        "https://web.example/jwks",
        "--secret",
        "s" * 40,
    )
    assert "a client using private_key_jwt has no secret" in message
    assert gh.ok("client", "show", "web") == before


def test_the_account_pages_built_in_client_is_refused_to_operators(
    gh: Gatehouse, runtime: Runtime
) -> None:
    from gatehouse.protocol.account.client import ensure_account_client

    ensure_account_client(runtime.provider)
    for args in (
        ("client", "create", "--client-id", "gatehouse-account", "--redirect-uri", CB),
        ("client", "update", "gatehouse-account", "--name", "Mine now"),
        ("client", "delete", "gatehouse-account"),
    ):
        assert "is built in" in gh.fails(*args)
    shown = gh.ok("client", "show", "gatehouse-account")
    assert shown["built_in"] is True and shown["name"] == "Your gatehouse account"


def test_require_mfa_is_set_shown_and_cleared(gh: Gatehouse, runtime: Runtime) -> None:
    created = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    assert created["require_mfa"] is False
    assert gh.ok("client", "update", "web", "--require-mfa")["require_mfa"] is True
    assert gh.ok("client", "show", "web")["require_mfa"] is True
    stored = runtime.store.clients.get("web")
    assert stored is not None and stored.require_mfa
    # An update that does not mention it keeps it.
    assert gh.ok("client", "update", "web", "--name", "Web")["require_mfa"] is True
    assert gh.ok("client", "update", "web", "--no-require-mfa")["require_mfa"] is False


DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def test_a_device_flow_client_needs_no_redirect_uri(gh: Gatehouse, runtime: Runtime) -> None:
    created = gh.ok(
        "client", "create", "--client-id", "tv", "--type", "public",
        "--grant-type", DEVICE_GRANT, "--grant-type", "refresh_token",
        "--scope", "openid profile offline_access",
    )  # fmt: skip
    assert created["grant_types"] == [DEVICE_GRANT, "refresh_token"]
    assert created["redirect_uris"] == []
    stored = runtime.store.clients.get("tv")
    assert stored is not None and stored.is_public
    # Added to a web app's grants; without scopes it gets the sign-in defaults.
    gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    updated = gh.ok(
        "client", "update", "web", "--grant-type", "authorization_code",
        "--grant-type", DEVICE_GRANT,
    )  # fmt: skip
    assert updated["grant_types"] == ["authorization_code", DEVICE_GRANT]
    bare = gh.ok("client", "create", "--client-id", "cli", "--grant-type", DEVICE_GRANT)
    assert bare["scope"] == "openid profile email"


def test_refresh_tokens_need_a_grant_a_person_signs_in_with(gh: Gatehouse) -> None:
    line = gh.fails(
        "client", "create", "--client-id", "d", "--grant-type", "client_credentials",
        "--grant-type", "refresh_token",
    )  # fmt: skip
    assert f"authorization_code, {DEVICE_GRANT}, password" in line


def test_the_grant_type_option_lists_the_grants(gh: Gatehouse) -> None:
    result = gh("client", "create", "--help")
    assert DEVICE_GRANT in result.output.replace("\n", "").replace(" ", "")


# -- Response types and the legacy grants (docs/flows.md) --------------------------------------


def test_a_client_uses_response_type_code_by_default(gh: Gatehouse) -> None:
    created = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    assert created["response_types"] == ["code"]
    assert created["warnings"] == []


def test_response_types_are_repeatable_and_stored_in_one_order(gh: Gatehouse) -> None:
    created = gh.ok(
        "client", "create", "--client-id", "web", "--redirect-uri", CB,
        "--response-type", "code", "--response-type", "id_token code",
        "--response-type", "token  code".replace("  ", " "),
    )  # fmt: skip
    assert created["response_types"] == ["code", "code id_token", "code token"]
    assert created["warnings"] == []
    # Changing the grants keeps the response types the new grants still allow.
    updated = gh.ok("client", "update", "web", "--grant-type", "authorization_code")
    assert updated["response_types"] == ["code", "code id_token", "code token"]


@pytest.mark.parametrize(
    ("args", "grant", "warns"),
    [
        (["--grant-type", "implicit", "--response-type", "id_token"], "implicit", "implicit"),
        (
            ["--grant-type", "authorization_code", "--grant-type", "implicit",
             "--response-type", "code", "--response-type", "id_token token"],
            "implicit",
            "implicit",
        ),
        (["--grant-type", "password", "--first-party"], "password", "password"),
    ],
)  # fmt: skip
def test_a_legacy_grant_is_warned_of_wherever_the_client_is_shown(
    gh: Gatehouse, args: list[str], grant: str, warns: str
) -> None:
    created = gh("client", "create", "--client-id", "legacy", "--redirect-uri", CB, *args)
    assert created.exit_code == 0, created.stderr
    shown = gh("client", "show", "legacy")
    for result in (created, shown):
        body = json.loads(result.stdout)
        assert grant in body["grant_types"]
        (warning,) = body["warnings"]
        assert warning.startswith(f"legacy {warns} grant enabled")
        # The same warning on stderr, for the operator at the terminal.
        assert result.stderr == f"warning: {warning}\n"
    # Taking the grant away takes the warning with it.
    updated = gh.ok("client", "update", "legacy", "--grant-type", "authorization_code")
    assert updated["warnings"] == []
    assert updated["response_types"] == ["code"]


IMPLICIT, CODE, RT = "implicit", "authorization_code", "--response-type"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--grant-type", IMPLICIT, RT, "code"], "'code' needs the authorization_code"),
        ([RT, "code", RT, "id_token"], "'id_token' needs the implicit"),
        (
            ["--grant-type", CODE, "--grant-type", IMPLICIT, RT, "id_token"],
            "authorization_code grant needs a response type",
        ),
        (["--type", "public", RT, "code token"], "public client cannot use response type"),
        (["--type", "public", RT, "code id_token token"], "public client cannot use"),
        ([RT, "code code"], "unsupported response type 'code code'"),
        (["--grant-type", "refresh_token"], "refresh_token needs a grant that issues"),
    ],
)
def test_response_types_need_their_grants(gh: Gatehouse, args: list[str], message: str) -> None:
    line = gh.fails("client", "create", "--client-id", "bad", "--redirect-uri", CB, *args)
    assert message in line


def test_a_public_client_may_use_code_id_token_and_the_implicit_types(gh: Gatehouse) -> None:
    created = gh(
        "client", "create", "--client-id", "spa", "--type", "public", "--redirect-uri", CB,
        "--grant-type", "authorization_code", "--grant-type", "implicit",
        "--response-type", "code id_token", "--response-type", "id_token token",
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    assert json.loads(created.stdout)["response_types"] == ["code id_token", "id_token token"]


def test_require_dpop_is_set_shown_and_cleared(gh: Gatehouse, runtime: Runtime) -> None:
    created = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    assert created["require_dpop"] is False
    assert gh.ok("client", "update", "web", "--require-dpop")["require_dpop"] is True
    assert gh.ok("client", "show", "web")["require_dpop"] is True
    stored = runtime.store.clients.get("web")
    assert stored is not None and stored.require_dpop
    # An update that does not mention it keeps it.
    assert gh.ok("client", "update", "web", "--name", "Web")["require_dpop"] is True
    assert gh.ok("client", "update", "web", "--no-require-dpop")["require_dpop"] is False
    created = gh.ok(
        "client",
        "create",
        "--client-id",
        "spa",
        "--type",
        "public",
        "--redirect-uri",
        CB,
        "--require-dpop",
    )
    assert created["require_dpop"] is True


def test_the_token_profile_is_set_shown_and_kept(gh: Gatehouse, runtime: Runtime) -> None:
    created = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    assert created["token_profile"] == "oidc"
    assert gh.ok("client", "update", "web", "--token-profile", "entra")["token_profile"] == "entra"
    assert gh.ok("client", "show", "web")["token_profile"] == "entra"
    stored = runtime.store.clients.get("web")
    assert stored is not None and stored.token_profile == "entra"
    # An update that does not mention it keeps it.
    assert gh.ok("client", "update", "web", "--name", "Web")["token_profile"] == "entra"
    assert gh.ok("client", "update", "web", "--token-profile", "oidc")["token_profile"] == "oidc"
    result = gh("client", "update", "web", "--token-profile", "v1")
    assert result.exit_code == 2 and "'v1' is not one of 'oidc', 'entra'" in result.stderr
