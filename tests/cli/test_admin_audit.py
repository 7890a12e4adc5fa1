"""Every admin change is an audit event (issue 12): each `gatehouse` command that changes
something records its event, by the operator, naming the client or user it changed and the
fields, never a secret or a password; a refused change records nothing."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gatehouse.runtime import Runtime
from tests.cli.conftest import Gatehouse

PASSWORD = "correct horse battery"
NEW_PASSWORD = "a fresh and longer passphrase"
CHOSEN_SECRET = "s" * 20 + "chosen-secret-value"
API = "https://orders.example.com"
CB = "https://app.example.com/callback"


@dataclass
class World:
    """What every case starts from: a user, a confidential client with a secret, an API with
    an app role granted to a daemon client, and a custom scope."""

    user_id: str
    secret_id: str
    secrets: list[str] = field(default_factory=list)


def build_world(gh: Gatehouse, runtime: Runtime) -> World:
    user = gh.ok("user", "create", "--username", "alice", "--password", PASSWORD)
    web = gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    daemon = gh.ok(
        "client", "create", "--client-id", "daemon", "--grant-type", "client_credentials"
    )
    (secret,) = gh.ok("client", "secret", "list", "web")
    gh.ok("api", "create", "--identifier", API, "--app-role", "orders.export=Export orders")
    gh.ok("api", "create", "--identifier", f"{API}/spare")
    gh.ok("grant", "app-role", "--client", "daemon", "--api", API, "--role", "orders.export")
    gh.ok("scope", "create", "orders.read", "--description", "Read your orders")
    runtime.store.consents.grant(user["id"], "web", frozenset({"openid"}), int(time.time()))
    return World(
        user_id=user["id"],
        secret_id=secret["secret_id"],
        secrets=[web["client_secret"], daemon["client_secret"]],
    )


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    event: str
    client_id: str | None = None
    user: bool = False  # the event names alice
    details: dict[str, Any] = field(default_factory=dict)


CASES = [
    Case(
        ("client", "create", "--client-id", "shop", "--redirect-uri", CB),
        "admin.client.created",
        client_id="shop",
    ),
    Case(
        (
            "client",
            "create",
            "--client-id",
            "shop",
            "--redirect-uri",
            CB,
            "--secret",
            CHOSEN_SECRET,
        ),
        "admin.client.created",
        client_id="shop",
    ),
    Case(
        ("client", "update", "web", "--name", "Web shop", "--new-secret"),
        "admin.client.updated",
        client_id="web",
        details={"fields": ["name"]},
    ),
    Case(("client", "delete", "web"), "admin.client.deleted", client_id="web"),
    Case(
        ("client", "secret", "add", "web", "--secret", CHOSEN_SECRET),
        "admin.client.secret_added",
        client_id="web",
    ),
    Case(
        ("client", "secret", "revoke", "web", "{secret_id}"),
        "admin.client.secret_revoked",
        client_id="web",
        details={"secret_id": "{secret_id}"},
    ),
    Case(
        ("user", "create", "--username", "bob", "--password", NEW_PASSWORD),
        "admin.user.created",
    ),
    Case(
        ("user", "update", "alice", "--email", "a@example.com", "--name", "Alice"),
        "admin.user.updated",
        user=True,
        details={"fields": ["email", "name"]},
    ),
    Case(
        ("user", "set-password", "alice", "--password", NEW_PASSWORD),
        "admin.user.updated",
        user=True,
        details={"fields": ["password"]},
    ),
    Case(
        ("user", "disable", "alice"),
        "admin.user.updated",
        user=True,
        details={"fields": ["disabled"]},
    ),
    Case(("user", "sign-out", "alice"), "admin.user.signed_out", user=True),
    Case(("user", "delete", "alice"), "admin.user.deleted", user=True),
    Case(
        ("api", "create", "--identifier", "https://billing.example.com"),
        "admin.api.created",
        details={"api": "https://billing.example.com"},
    ),
    Case(
        ("api", "update", API, "--name", "Orders", "--access-token-lifetime", "600"),
        "admin.api.updated",
        details={"api": API, "fields": ["access_token_lifetime", "name"]},
    ),
    Case(("api", "delete", f"{API}/spare"), "admin.api.deleted", details={"api": f"{API}/spare"}),
    Case(
        ("grant", "app-role", "--client", "web", "--api", API, "--role", "orders.export"),
        "admin.role.granted",
        client_id="web",
        details={"api": API, "role": "orders.export"},
    ),
    Case(
        ("revoke", "app-role", "--client", "daemon", "--api", API, "--role", "orders.export"),
        "admin.role.revoked",
        client_id="daemon",
        details={"api": API, "role": "orders.export"},
    ),
    Case(
        ("scope", "create", "orders.write", "--description", "Change your orders"),
        "admin.scope.created",
        details={"scope": "orders.write"},
    ),
    Case(
        ("scope", "create", "orders.read", "--description", "See your orders"),
        "admin.scope.updated",
        details={"scope": "orders.read"},
    ),
    Case(
        ("scope", "delete", "orders.read"), "admin.scope.deleted", details={"scope": "orders.read"}
    ),
    Case(
        ("consent", "revoke", "--user", "alice", "--client", "web"),
        "consent.revoked",
        client_id="web",
        user=True,
    ),
    Case(("keys", "rotate", "--alg", "ES256"), "admin.key.rotated"),
    Case(("policy", "set", "lockout_duration=600"), "admin.policy.updated"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: " ".join(case.args[:2]))
def test_each_admin_change_is_one_event_by_the_operator(
    gh: Gatehouse, runtime: Runtime, case: Case
) -> None:
    world = build_world(gh, runtime)
    seen = {e["id"] for e in gh.ok("audit", "list", "--limit", "10000")}
    args = [a.replace("{secret_id}", world.secret_id) for a in case.args]
    output = gh.ok(*args)

    new = [e for e in gh.ok("audit", "list", "--limit", "10000") if e["id"] not in seen]
    (event,) = [e for e in new if e["type"] == case.event]
    assert event["actor"] == "operator"
    assert event["client_id"] == case.client_id
    if case.event == "admin.user.created":
        assert event["user_id"] == output["id"]
    else:
        assert event["user_id"] == (world.user_id if case.user else None)
    for key, value in case.details.items():
        expected = value.replace("{secret_id}", world.secret_id) if key == "secret_id" else value
        assert event["details"][key] == expected
    if "secret_id" in output:
        assert event["details"]["secret_id"] == output["secret_id"]

    logged = json.dumps(gh.ok("audit", "list", "--limit", "10000"))
    secrets = [*world.secrets, PASSWORD, NEW_PASSWORD, CHOSEN_SECRET]
    if isinstance(output, dict) and "client_secret" in output:
        secrets.append(output["client_secret"])
    assert [s for s in secrets if s in logged] == []


def test_a_refused_change_records_nothing(gh: Gatehouse) -> None:
    gh.ok("client", "create", "--client-id", "web", "--redirect-uri", CB)
    before = gh.ok("audit", "list")
    gh.fails("client", "update", "web", "--redirect-uri", "http://evil.example.com/cb#frag")
    gh.fails("scope", "delete", "nope")
    gh.fails("user", "set-password", "nobody", "--password", NEW_PASSWORD)
    gh.fails("client", "secret", "revoke", "web", "no-such-secret")
    assert gh.ok("audit", "list") == before


def test_an_apply_file_records_each_change_and_a_failed_one_none(
    gh: Gatehouse, tmp_path: Path
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("scopes:\n  - name: orders.read\n    description: Read your orders\n")
    gh.ok("apply", str(good))
    [created] = gh.ok("audit", "list")
    assert (created["type"], created["details"]["via"]) == ("admin.scope.created", "apply")
    gh.ok("scope", "create", "profile.read", "--description", "Read your profile")
    by_hand = gh.ok("audit", "list")[0]
    assert "via" not in by_hand["details"]  # typed by hand: no "via"
    # The second scope is written, then the client is refused: both roll back, event too.
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scopes:\n  - name: orders.write\n    description: Change your orders\n"
        "clients:\n  - client_id: web\n    redirect_uris: [http://evil.example.com/cb]\n"
    )
    gh.fails("apply", str(bad))
    assert [e["type"] for e in gh.ok("audit", "list")] == ["admin.scope.created"] * 2
