"""The contract of storage/trusted_issuers.py TrustedIssuerRepository, on SQLite and
PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

from gatehouse.runtime import Runtime
from gatehouse.storage.trusted_issuers import IssuerClientRule, TrustedIssuer
from tests.support.factories import make_client

GITHUB = "https://token.actions.githubusercontent.com"


def github(*rules: IssuerClientRule) -> TrustedIssuer:
    return TrustedIssuer(
        issuer=GITHUB,
        subject_claim="sub",
        jwks_uri=None,
        discovery_url=f"{GITHUB}/.well-known/openid-configuration",
        audience="https://gatehouse.example.com",
        created_at=100,
        updated_at=100,
        clients=rules,
    )


def rule(client_id: str, *subjects: str) -> IssuerClientRule:
    return IssuerClientRule(client_id, frozenset(subjects), 100)


def test_an_issuer_is_read_back_whole_with_its_rules_by_client(runtime: Runtime) -> None:
    repo = runtime.store.trusted_issuers
    saved = github(rule("b-deployer", "repo:o/b:ref:refs/heads/main"), rule("a-reader", "x", "y"))
    repo.save(saved)
    found = repo.get(GITHUB)
    assert found == replace(saved, clients=tuple(sorted(saved.clients, key=lambda r: r.client_id)))
    assert repo.list() == [found]


def test_the_issuer_is_matched_exactly(runtime: Runtime) -> None:
    runtime.store.trusted_issuers.save(github())
    assert runtime.store.trusted_issuers.get(GITHUB + "/") is None
    assert runtime.store.trusted_issuers.get(GITHUB.upper()) is None


def test_save_replaces_the_issuer_and_its_rules(runtime: Runtime) -> None:
    repo = runtime.store.trusted_issuers
    repo.save(github(rule("a", "one"), rule("b", "two")))
    changed = replace(
        github(rule("b", "three")), jwks_uri="https://k.example/jwks", discovery_url=None
    )
    repo.save(changed)
    assert repo.get(GITHUB) == changed


def test_delete_removes_the_issuer_and_its_rules(runtime: Runtime) -> None:
    repo = runtime.store.trusted_issuers
    repo.save(github(rule("a", "one")))
    assert repo.delete(GITHUB) is True
    assert repo.get(GITHUB) is None and repo.list() == []
    assert repo.delete(GITHUB) is False
    repo.save(github())
    assert repo.get(GITHUB) == github()  # no rule of the old one came back


def test_deleting_a_client_removes_its_rules(runtime: Runtime) -> None:
    make_client(runtime, "deployer")
    repo = runtime.store.trusted_issuers
    repo.save(github(rule("deployer", "one"), rule("other", "two")))
    assert runtime.store.clients.delete("deployer")
    found = repo.get(GITHUB)
    assert found is not None and [r.client_id for r in found.clients] == ["other"]
