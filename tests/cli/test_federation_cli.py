"""`gatehouse federation` (add, list, show, update, remove) and the `upstream_providers`
section of `gatehouse apply`: JSON out, the client secret read from standard input, stored
sealed and never printed, one-line errors, audit events that name fields, never values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatehouse.protocol.federation.sealed import open_secret
from gatehouse.runtime import build_runtime
from gatehouse.settings import Settings
from tests.cli.conftest import Gatehouse

DISCOVERY = "https://login.example.com/.well-known/openid-configuration"
SECRET = "upstream-client-secret-0123456789"


def add(gh: Gatehouse, *extra: str, secret: str = SECRET) -> dict[str, object]:
    args = ["federation", "add", "corp", "--display-name", "Example Corp", "--discovery"]
    args += [DISCOVERY, "--client-id", "gatehouse", "--client-secret-stdin", *extra]
    result: dict[str, object] = gh.ok(*args, input=secret + "\n")
    return result


def test_add_list_show_update_and_remove(gh: Gatehouse) -> None:
    added = add(gh, "--claim", "username=upn", "--jit")
    assert added == {
        "alias": "corp",
        "display_name": "Example Corp",
        "discovery_url": DISCOVERY,
        "client_id": "gatehouse",
        "client_secret_set": True,
        "scopes": ["openid", "profile", "email"],
        "claim_mappings": {"username": "upn"},
        "jit": True,
        "redirect_uri": "http://127.0.0.1:8000/login/federated/callback",
        "post_logout_redirect_uri": "http://127.0.0.1:8000/logout/federated/done",
        "created_at": added["created_at"],
        "updated_at": added["updated_at"],
    }
    assert gh.ok("federation", "list") == [added]
    assert gh.ok("federation", "show", "corp") == added
    updated = gh.ok("federation", "update", "corp", "--scope", "openid email", "--no-jit")
    assert updated["scopes"] == ["openid", "email"] and updated["jit"] is False
    assert updated["claim_mappings"] == {"username": "upn"}  # not given: kept
    assert gh.ok("federation", "remove", "corp") == {"removed": "corp"}
    assert gh.ok("federation", "list") == []


def test_the_secret_is_stored_sealed_and_never_printed(
    gh: Gatehouse, database_url: str, tmp_path: Path
) -> None:
    add(gh)
    everything = json.dumps([gh.ok("federation", "list"), gh.ok("audit", "list")])
    assert SECRET not in everything
    runtime = build_runtime(Settings(**_settings(gh)))
    try:
        stored = runtime.store.upstreams.get("corp")
        assert stored is not None and SECRET.encode() not in stored.client_secret
        encryptor = runtime.provider.federation_secrets
        assert open_secret(encryptor, stored.client_secret, alias="corp") == SECRET
    finally:
        runtime.close()


def _settings(gh: Gatehouse) -> dict[str, object]:
    env = gh.env
    return {
        "database_url": env["GATEHOUSE_DATABASE_URL"],
        "secret_key": env["GATEHOUSE_SECRET_KEY"],
        "data_dir": env["GATEHOUSE_DATA_DIR"],
    }


def test_changes_are_audited_by_field_name(gh: Gatehouse) -> None:
    add(gh)
    gh.ok("federation", "update", "corp", "--client-secret-stdin", input="another-secret\n")
    gh.ok("federation", "update", "corp", "--client-secret-stdin", input="another-secret\n")
    gh.ok("federation", "remove", "corp")
    events = gh.ok("audit", "list", "--type", "admin.federation")
    assert [e["type"] for e in events] == [
        "admin.federation.removed",
        "admin.federation.updated",  # once: the same secret again changes nothing
        "admin.federation.added",
    ]
    assert events[1]["details"]["fields"] == ["client_secret"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--display-name", "X", "--discovery", DISCOVERY, "--client-id", "c"), "client secret"),
        (("--display-name", "X", "--client-id", "c"), "--discovery is required"),
        (("--display-name", "X", "--discovery", "http://idp.example/d", "--client-id", "c"),
         "plain http is allowed only for loopback"),
        (("--discovery", DISCOVERY, "--client-id", "c"), "--display-name is required"),
        (("--display-name", "X", "--discovery", DISCOVERY, "--client-id", "c", "--scope",
          "email"), "must include openid"),
        (("--display-name", "X", "--discovery", DISCOVERY, "--client-id", "c", "--claim",
          "password=pwd"), "cannot map 'password'"),
        (("--display-name", "X", "--discovery", DISCOVERY, "--client-id", "c", "--claim",
          "username"), "FIELD=CLAIM"),
    ],
)  # fmt: skip
def test_bad_input_is_one_clear_line(gh: Gatehouse, args: tuple[str, ...], message: str) -> None:
    with_secret = "--client-secret-stdin" if message != "client secret" else "--jit"
    error = gh.fails("federation", "add", "corp", *args, with_secret, input="s3cret\n")
    assert message in error


@pytest.mark.parametrize("alias", ["Corp", "../corp", "corp!", "c" * 65, "_corp", "corp\u0430"])
def test_an_alias_is_a_plain_name(gh: Gatehouse, alias: str) -> None:
    args = ["--display-name", "X", "--discovery", DISCOVERY, "--client-id", "c"]
    error = gh.fails("federation", "add", alias, *args, "--client-secret-stdin", input="s\n")
    assert "the alias is 1-64 lower-case letters" in error


def test_unknown_and_duplicate_upstreams(gh: Gatehouse) -> None:
    assert "no upstream identity provider 'nope'" in gh.fails("federation", "show", "nope")
    add(gh)
    assert "already exists" in gh.fails(
        "federation", "add", "corp", "--client-secret-stdin", input="x\n"
    )


APPLY = f"""
upstream_providers:
  - alias: corp
    display_name: Example Corp
    discovery: {DISCOVERY}
    client_id: gatehouse
    client_secret: ${{CORP_SECRET}}
    scopes: [openid, email]
    claim_mappings: {{username: upn}}
    jit: true
"""


def test_apply_adds_upstreams_idempotently(gh: Gatehouse, tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.yaml"
    path.write_text(APPLY)
    first = gh.ok("apply", str(path), CORP_SECRET=SECRET)
    assert {"kind": "upstream_provider", "id": "corp", "action": "created"} in first["changes"]
    assert gh.ok("federation", "show", "corp")["claim_mappings"] == {"username": "upn"}
    assert gh.ok("apply", str(path), CORP_SECRET=SECRET)["changed"] == 0
    third = gh.ok("apply", str(path), CORP_SECRET="a-new-secret")
    assert {"kind": "upstream_provider", "id": "corp", "action": "updated"} in third["changes"]


def test_apply_refuses_a_bad_upstream_entry(gh: Gatehouse, tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.yaml"
    path.write_text(APPLY.replace("jit: true", "jit: sometimes"))
    error = gh.fails("apply", str(path), CORP_SECRET=SECRET)
    assert "upstream_providers[0]" in error and "jit must be true or false" in error
    assert gh.ok("federation", "list") == []
