"""`gatehouse tenant` and `--tenant`: tenants created, shown, changed and deleted with every
row they hold; bad names refused with a line that says why; every provisioning command and
`apply` working on the tenant named."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatehouse.runtime import Runtime
from gatehouse.storage.federation import FederatedIdentity, FederationState
from gatehouse.storage.sql.store import SqlStore
from tests.cli.conftest import Gatehouse

CB = "https://app.example.com/cb"


def test_create_show_list_print_the_issuer_under_t(gh: Gatehouse) -> None:
    created = gh.ok("tenant", "create", "acme", "--set", "display_name=Acme Corp")
    assert created["name"] == "acme"
    assert created["issuer"] == "http://127.0.0.1:8000/t/acme"
    assert created["discovery"] == "http://127.0.0.1:8000/t/acme/.well-known/openid-configuration"
    assert created["settings"] == {"display_name": "Acme Corp"}
    assert gh.ok("tenant", "show", "acme") == created
    listed = gh.ok("tenant", "list")
    assert [t["name"] for t in listed] == ["default", "acme"]
    assert listed[0]["issuer"] == "http://127.0.0.1:8000"
    # The issuer follows GATEHOUSE_ISSUER, the base every tenant's issuer is below.
    shown = gh.ok("tenant", "show", "acme", GATEHOUSE_ISSUER="https://id.example.com")
    assert shown["issuer"] == "https://id.example.com/t/acme"


def test_a_new_tenant_has_its_own_signing_keys(gh: Gatehouse) -> None:
    gh.ok("tenant", "create", "acme")
    default_kids = {k["kid"] for k in gh.ok("keys", "list")}
    acme_kids = {k["kid"] for k in gh.ok("--tenant", "acme", "keys", "list")}
    assert len(acme_kids) == 2
    assert not default_kids & acme_kids
    rotated = gh.ok("--tenant", "acme", "keys", "rotate", "--alg", "ES256")
    assert rotated
    assert {k["kid"] for k in gh.ok("keys", "list")} == default_kids


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Acme", "lowercase: 'A'"),
        ("acme corp", "' ' (U+0020 SPACE) is not allowed"),
        ("-acme", "starting with a letter or digit"),
        ("a" * 64, "at most 63 characters"),
        ("..", "one path segment: '.'"),
        ("a/b", "one path segment: '/'"),
        ("a%2fb", "one path segment: '%'"),
        ("\u0430cme", "ASCII only: '\u0430' (U+0430 CYRILLIC SMALL LETTER A)"),
        ("ac\uff4de", "ASCII only"),  # a fullwidth m: NFKC would make it "acme"
        ("xn--80ak6aa92e", "xn--"),
        ("common", "reserved"),
        ("organizations", "reserved"),
        ("consumers", "reserved"),
        ("default", "reserved"),
        ("t", "reserved"),
        ("static", "reserved"),
        ("token", "reserved"),
        ("authorize", "reserved"),
    ],
)
def test_bad_names_are_refused_with_the_rule(gh: Gatehouse, name: str, message: str) -> None:
    assert message in gh.fails("tenant", "create", "--", name)


def test_a_taken_name_and_unknown_tenants_are_refused(gh: Gatehouse) -> None:
    gh.ok("tenant", "create", "acme")
    assert "already a tenant 'acme'" in gh.fails("tenant", "create", "acme")
    assert "no tenant 'nope'" in gh.fails("tenant", "show", "nope")
    assert "no tenant 'nope'" in gh.fails("--tenant", "nope", "client", "list")
    assert "no tenant 'nope'" in gh.fails("client", "list", "--tenant", "nope")
    assert "--tenant: tenant names are lowercase" in gh.fails("--tenant", "Acme", "user", "list")


def test_update_validates_settings_and_the_default_tenant_keeps_the_servers(gh: Gatehouse) -> None:
    gh.ok("tenant", "create", "acme")
    updated = gh.ok(
        "tenant",
        "update",
        "acme",
        "--set",
        "accent_colour=#AA3300",
        "--set",
        "logo_url=https://cdn.example.com/acme.svg",
        "--set",
        "access_token_lifetime=600",
    )
    assert updated["settings"] == {
        "accent_colour": "#aa3300",
        "logo_url": "https://cdn.example.com/acme.svg",
        "access_token_lifetime": 600,
    }
    reset = gh.ok("tenant", "update", "acme", "--reset", "access_token_lifetime")
    assert "access_token_lifetime" not in reset["settings"]
    for bad, message in [
        ("accent_colour=red", "is not a colour"),
        ("accent_colour=#fff;}body{x:1", "is not a colour"),
        ("logo_url=javascript:alert(1)", "https URL"),
        ("logo_url=http://cdn.example.com/a.svg", "https URL"),
        ('logo_url=https://a.example/x"onerror=', "https URL"),
        ("logo_url=https://a.example;script-src *", "https URL"),
        ("logo_url=//evil.example/a.svg", "https URL"),
        ("display_name=\x1b[31m", "printable"),
        ("access_token_lifetime=0", "between 1 second"),
        ("colour=#000000", "unknown tenant setting 'colour'"),
        ("display_name", "not KEY=VALUE"),
    ]:
        assert message in gh.fails("tenant", "update", "acme", "--set", bad), bad
    assert "default tenant has no tenant settings" in gh.fails(
        "tenant", "update", "default", "--set", "display_name=X"
    )
    events = gh.ok("audit", "list", "--type", "admin.tenant")
    assert [e["type"] for e in events] == [
        "admin.tenant.updated",
        "admin.tenant.updated",
        "admin.tenant.created",
    ]
    assert events[0]["details"] == {"tenant": "acme", "keys": ["access_token_lifetime"]}


def test_provisioning_commands_work_on_the_tenant_named(gh: Gatehouse) -> None:
    gh.ok("tenant", "create", "acme")
    gh.ok("--tenant", "acme", "client", "create", "--client-id", "web", "--redirect-uri", CB)
    gh.ok("client", "create", "--client-id", "other", "--redirect-uri", CB, "--tenant", "acme")
    gh.ok(
        "user",
        "create",
        "--username",
        "alice",
        "--password",
        "correct horse battery",
        GATEHOUSE_TENANT="acme",
    )
    gh.ok("--tenant", "acme", "policy", "set", "mfa=required")
    assert [c["client_id"] for c in gh.ok("client", "list")] == []
    assert sorted(c["client_id"] for c in gh.ok("--tenant", "acme", "client", "list")) == [
        "other",
        "web",
    ]
    assert gh.ok("user", "list") == []
    assert [u["username"] for u in gh.ok("--tenant", "acme", "user", "list")] == ["alice"]
    assert gh.ok("policy", "show")["policy"]["mfa"] == "optional"
    assert gh.ok("--tenant", "acme", "policy", "show")["policy"]["mfa"] == "required"


def test_apply_files_name_their_tenant(gh: Gatehouse, tmp_path: Path) -> None:
    path = tmp_path / "acme.yaml"
    path.write_text(
        f"tenant: acme\nclients:\n  - client_id: web\n    type: public\n    redirect_uris: [{CB}]\n"
    )
    # A file does not create its tenant: a typo in `tenant:` must not make a new one.
    assert "no tenant 'acme'" in gh.fails("apply", str(path))
    gh.ok("tenant", "create", "acme")
    gh.ok("tenant", "create", "beta")
    assert gh.ok("apply", str(path))["changed"] == 1
    assert [c["client_id"] for c in gh.ok("--tenant", "acme", "client", "list")] == ["web"]
    assert gh.ok("client", "list") == []
    assert gh.ok("--tenant", "acme", "apply", str(path))["changed"] == 0
    assert "is for tenant 'acme', and the command for 'beta'" in gh.fails(
        "--tenant", "beta", "apply", str(path)
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text("tenant: ../etc\n")
    assert "line 1: tenant: a tenant name is one path segment" in gh.fails("apply", str(bad))


ORDERS = "https://orders.example.com"
DISCOVERY = "https://login.example.com/.well-known/openid-configuration"


def _provision(gh: Gatehouse, *tenant: str) -> None:
    """In the tenant named (``--tenant acme``) or the default one: alice, the orders API
    with a role, a client, a group holding the role with alice in it, an admin consent, an
    upstream identity provider."""
    gh.ok(*tenant, "user", "create", "--username", "alice", "--password", "correct horse battery")
    gh.ok(*tenant, "api", "create", "--identifier", ORDERS, "--app-role", "orders.admin=Admin")
    gh.ok(*tenant, "client", "create", "--client-id", "web", "--redirect-uri", CB)
    gh.ok(*tenant, "group", "create", "--name", "engineering")
    gh.ok(*tenant, "group", "add-member", "engineering", "--user", "alice")
    role = ("--api", ORDERS, "--role", "orders.admin")
    gh.ok(*tenant, "grant", "app-role", *role, "--group", "engineering")
    gh.ok(*tenant, "consent", "grant-admin", "--client", "web", "--scope", "openid")
    args = ["federation", "add", "corp", "--display-name", "Corp", "--discovery", DISCOVERY]
    gh.ok(*tenant, *args, "--client-id", "gh", "--client-secret-stdin", input="s3cret\n")


def test_groups_roles_admin_consents_and_upstreams_act_on_the_tenant_named(
    gh: Gatehouse,
) -> None:
    gh.ok("tenant", "create", "acme")
    _provision(gh, "--tenant", "acme")
    acme = ("--tenant", "acme")
    assert [g["name"] for g in gh.ok(*acme, "group", "list")] == ["engineering"]
    assert [g["name"] for g in gh.ok(*acme, "user", "show", "alice")["groups"]] == ["engineering"]
    assert gh.ok(*acme, "group", "show", "engineering")["app_roles"] == [
        {"api": ORDERS, "role": "orders.admin"}
    ]
    assert [c["client_id"] for c in gh.ok(*acme, "consent", "list-admin")] == ["web"]
    upstream = gh.ok(*acme, "federation", "show", "corp")
    assert upstream["redirect_uri"] == "http://127.0.0.1:8000/t/acme/login/federated/callback"
    # The default tenant has none of it.
    assert gh.ok("group", "list") == []
    assert gh.ok("consent", "list-admin") == []
    assert gh.ok("federation", "list") == []
    assert "no group 'engineering'" in gh.fails("group", "show", "engineering")
    # Nor does another tenant, which may have its own of the same names.
    gh.ok("tenant", "create", "beta")
    assert gh.ok("--tenant", "beta", "group", "list") == []
    _provision(gh, "--tenant", "beta")
    beta_group = gh.ok("--tenant", "beta", "group", "show", "engineering")
    assert beta_group["id"] != gh.ok(*acme, "group", "show", "engineering")["id"]
    gh.ok("--tenant", "beta", "group", "delete", "engineering")
    gh.ok("--tenant", "beta", "consent", "revoke-admin", "--client", "web")
    gh.ok("--tenant", "beta", "federation", "remove", "corp")
    assert [g["name"] for g in gh.ok(*acme, "group", "list")] == ["engineering"]
    assert len(gh.ok(*acme, "consent", "list-admin")) == 1
    assert len(gh.ok(*acme, "federation", "list")) == 1


def test_delete_removes_every_row_and_asks_first(gh: Gatehouse, runtime: Runtime) -> None:
    gh.ok("tenant", "create", "acme")
    _provision(gh, "--tenant", "acme")
    # A person linked to the upstream, and a federated sign-in under way.
    alice = gh.ok("--tenant", "acme", "user", "show", "alice")["id"]
    federation = SqlStore(runtime.database, "acme").federation
    federation.link(FederatedIdentity("corp", "sub-1", alice, 1, 1))
    federation.create_state(FederationState("h" * 64, "signin", "corp", b"x", None, 1, 2**31 - 1))
    gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    result = gh("tenant", "delete", "acme")
    assert result.exit_code == 1
    assert "pass --yes to confirm" in result.stderr
    assert "default tenant cannot be deleted" in gh.fails("tenant", "delete", "default", "--yes")
    deleted = gh.ok("tenant", "delete", "acme", "--yes")
    assert deleted["deleted"] == "acme"
    assert deleted["rows"]["clients"] == 1
    assert deleted["rows"]["users"] == 1
    assert deleted["rows"]["signing_keys"] == 2
    # What came with groups, admin consent and federation goes too.
    for table in ("groups", "group_members", "app_role_assignments", "admin_consents"):
        assert deleted["rows"][table] == 1, table
    assert deleted["rows"]["upstream_providers"] == 1
    assert deleted["rows"]["federated_identities"] == 1
    assert deleted["rows"]["federation_states"] == 1
    assert [t["name"] for t in gh.ok("tenant", "list")] == ["default"]
    assert [c["client_id"] for c in gh.ok("client", "list")] == ["web"]
    # Nothing of the tenant is left in any table.
    from gatehouse.storage.sql.metadata import metadata

    with runtime.database.read() as conn:
        for table in metadata.sorted_tables:
            column = table.c.id if table.name == "tenants" else table.c.tenant_id
            assert conn.execute(table.select().where(column == "acme")).first() is None, table.name
    event = gh.ok("audit", "list", "--type", "admin.tenant.deleted")[0]
    assert event["details"]["tenant"] == "acme"
    assert "no tenant 'acme'" in gh.fails("tenant", "delete", "acme", "--yes")
