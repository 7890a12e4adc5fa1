"""`gatehouse issuer` (trust, list, show, distrust), the workload clients it names, and the
`trusted_issuers` section of `gatehouse apply`: JSON out, one-line errors, audit events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditQuery
from tests.cli.conftest import Gatehouse

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GITHUB = "https://token.actions.githubusercontent.com"
DISCOVERY = f"{GITHUB}/.well-known/openid-configuration"
MAIN = "repo:octo-org/shop:ref:refs/heads/main"


@pytest.fixture
def deployer(gh: Gatehouse) -> str:
    gh.ok("client", "create", "--client-id", "deployer", "--grant-type", JWT_BEARER)
    return "deployer"


def trust(gh: Gatehouse, *extra: str) -> Any:
    return gh.ok(
        "issuer", "trust", GITHUB, "--discovery", DISCOVERY, "--subject-claim", "sub", *extra
    )


def test_trust_list_show_and_distrust(gh: Gatehouse, deployer: str) -> None:
    trusted = trust(gh, "--client", deployer, "--subject", MAIN, "--subject", MAIN + "x")
    assert trusted == {
        "issuer": GITHUB,
        "jwks_uri": None,
        "discovery_url": DISCOVERY,
        "subject_claim": "sub",
        "audience": None,
        "clients": [{"client_id": "deployer", "subjects": [MAIN, MAIN + "x"]}],
        "created_at": trusted["created_at"],
    }
    assert gh.ok("issuer", "list") == [trusted]
    assert gh.ok("issuer", "show", GITHUB) == trusted
    assert gh.ok("issuer", "distrust", GITHUB, "--client", deployer) == {
        "distrusted": GITHUB,
        "client_id": deployer,
    }
    assert gh.ok("issuer", "show", GITHUB)["clients"] == []
    assert gh.ok("issuer", "distrust", GITHUB) == {"distrusted": GITHUB}
    assert gh.ok("issuer", "list") == []


def test_trusting_again_changes_only_what_is_given(gh: Gatehouse, deployer: str) -> None:
    trust(gh, "--client", deployer, "--subject", MAIN)
    jwks = f"{GITHUB}/.well-known/jwks"
    changed = gh.ok("issuer", "trust", GITHUB, "--jwks-uri", jwks, "--audience", "api://gh")
    assert changed["jwks_uri"] == jwks and changed["discovery_url"] is None
    assert changed["audience"] == "api://gh" and changed["subject_claim"] == "sub"
    assert changed["clients"] == [{"client_id": "deployer", "subjects": [MAIN]}]
    # A client's subjects are replaced as a whole.
    again = gh.ok("issuer", "trust", GITHUB, "--client", deployer, "--subject", "other")
    assert again["clients"] == [{"client_id": "deployer", "subjects": ["other"]}]


def test_trust_changes_are_audited(runtime: Runtime, gh: Gatehouse, deployer: str) -> None:
    trust(gh)
    trust(gh)  # nothing changed: no event
    trust(gh, "--client", deployer, "--subject", MAIN)
    gh.ok("issuer", "distrust", GITHUB)
    events = runtime.store.audit.list(AuditQuery(types=("admin.issuer",)))
    assert [(e.type, e.actor, e.client_id) for e in reversed(events)] == [
        ("admin.issuer.trusted", "operator", None),
        ("admin.issuer.trusted", "operator", "deployer"),
        ("admin.issuer.distrusted", "operator", None),
    ]
    # Fields that are None on a new issuer are not named.
    assert events[-1].details["fields"] == [
        "clients", "created_at", "discovery_url", "issuer", "subject_claim",
    ]  # fmt: skip
    assert events[1].details == {"issuer": GITHUB, "fields": ["clients"]}


D = ("--discovery", DISCOVERY)
SUB = ("--subject-claim", "sub")
REFUSED = [
    ((*SUB,), "--jwks-uri URI, or --discovery URL"),
    ((*D, "--jwks-uri", f"{GITHUB}/jwks", *SUB), "not both"),
    ((*D,), "--subject-claim is required"),
    (("--discovery", "http://gh.example/.well-known/x", *SUB), "plain http is allowed only for"),
    (("--jwks-uri", "ftp://gh.example/jwks", *SUB), "--jwks-uri must be an absolute http"),
    ((*D, "--subject-claim", "my claim"), "subject claim must be"),
    ((*D, *SUB, "--audience", "a b"), "audience must be"),
    ((*D, *SUB, "--subject", MAIN), "--subject goes with --client"),
    ((*D, *SUB, "--client", "nobody", "--subject", MAIN), "no client 'nobody'"),
    ((*D, *SUB, "--client", "deployer"), "at least one --subject"),
]


@pytest.mark.parametrize(("args", "message"), REFUSED)
def test_bad_trust_requests_are_one_line_errors(
    gh: Gatehouse, deployer: str, args: tuple[str, ...], message: str
) -> None:
    assert message in gh.fails("issuer", "trust", GITHUB, *args)
    assert gh.ok("issuer", "list") == []


def test_a_bad_issuer_name_is_refused(gh: Gatehouse) -> None:
    assert "printable characters" in gh.fails("issuer", "trust", "has space", *D, *SUB)


def test_a_client_rule_needs_a_client_of_the_grant(gh: Gatehouse) -> None:
    gh.ok("client", "create", "--client-id", "daemon", "--grant-type", "client_credentials")
    message = gh.fails("issuer", "trust", GITHUB, *D, *SUB, "--client", "daemon", "--subject", MAIN)
    assert "does not use the JWT bearer grant" in message


def test_show_and_distrust_of_an_unknown_issuer(gh: Gatehouse, deployer: str) -> None:
    assert "is not a trusted issuer" in gh.fails("issuer", "show", GITHUB)
    assert "is not a trusted issuer" in gh.fails("issuer", "distrust", GITHUB)
    trust(gh)
    assert "no rule for client 'deployer'" in gh.fails(
        "issuer", "distrust", GITHUB, "--client", deployer
    )


# -- Workload clients ----------------------------------------------------------------------


def test_a_workload_client_has_no_secret_by_default(gh: Gatehouse) -> None:
    created = gh.ok("client", "create", "--client-id", "w", "--grant-type", JWT_BEARER)
    assert created["auth_method"] == "none" and "client_secret" not in created
    assert created["grant_types"] == [JWT_BEARER]


def test_auth_method_none_is_for_the_jwt_bearer_grant_alone(gh: Gatehouse, deployer: str) -> None:
    both = ("--grant-type", JWT_BEARER, "--grant-type", "client_credentials")
    message = gh.fails("client", "update", deployer, *both)
    assert "auth_method none is only for a workload" in message
    updated = gh.ok("client", "update", deployer, *both, "--auth-method", "client_secret_basic")
    assert updated["auth_method"] == "client_secret_basic" and "client_secret" in updated


def test_a_public_client_cannot_use_the_jwt_bearer_grant(gh: Gatehouse) -> None:
    message = gh.fails(
        "client", "create", "--client-id", "spa", "--type", "public", "--grant-type", JWT_BEARER
    )
    assert "public client cannot use the JWT bearer grant" in message


# -- apply -------------------------------------------------------------------------------------

APPLY = f"""\
clients:
  - client_id: deployer
    grant_types: [{JWT_BEARER}]
trusted_issuers:
  - issuer: {GITHUB}
    discovery: {DISCOVERY}
    subject_claim: sub
    audience: api://gatehouse
    clients:
      - client_id: deployer
        subjects: ["{MAIN}"]
"""


def test_apply_trusts_issuers_idempotently(gh: Gatehouse, tmp_path: Path) -> None:
    path = tmp_path / "gatehouse.yaml"
    path.write_text(APPLY)
    first = gh.ok("apply", str(path))
    assert {"kind": "trusted_issuer", "id": GITHUB, "action": "created"} in first["changes"]
    shown = gh.ok("issuer", "show", GITHUB)
    assert shown["audience"] == "api://gatehouse"
    assert shown["clients"] == [{"client_id": "deployer", "subjects": [MAIN]}]
    assert gh.ok("apply", str(path))["changed"] == 0
    path.write_text(APPLY.replace("api://gatehouse", "api://other"))
    third = gh.ok("apply", str(path))
    assert {"kind": "trusted_issuer", "id": GITHUB, "action": "updated"} in third["changes"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("subject_claim: sub", "subject_claim: [sub]"), "subject_claim must be a string"),
        (("        subjects:", "        subject:"), "each of clients is {client_id"),
        (("    audience:", "    audiences:"), "unknown key 'audiences'"),
        (("        subjects: [", "        subjects: []\n#"), "at least one --subject"),
    ],
)
def test_apply_refuses_a_bad_issuer_entry_whole(
    gh: Gatehouse, tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    path = tmp_path / "gatehouse.yaml"
    path.write_text(APPLY.replace(*change))
    error = gh.fails("apply", str(path))
    assert "trusted_issuers[0]" in error and message in error
    assert gh.ok("issuer", "list") == [] and gh.ok("client", "list") == []
