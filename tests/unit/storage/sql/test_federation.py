"""The federation repositories (storage/sql/federation.py) on SQLite and PostgreSQL: an
upstream read and written whole, one link per (upstream, subject), states spent once,
federated sessions, and the tenant boundary."""

from __future__ import annotations

from gatehouse.runtime import Runtime
from gatehouse.storage.federation import (
    FederatedIdentity,
    FederatedSession,
    FederationState,
    UpstreamProvider,
)
from gatehouse.storage.sql import tables as t
from gatehouse.storage.sql.store import SqlStore
from tests.support.factories import make_user

NOW = 1_800_000_000


def upstream(alias: str = "corp", **fields: object) -> UpstreamProvider:
    values: dict[str, object] = {
        "alias": alias,
        "display_name": "Example Corp",
        "discovery_url": "https://login.example.com/.well-known/openid-configuration",
        "client_id": "gatehouse",
        "client_secret": b"sealed",
        "scopes": ("openid", "email"),
        "claim_mappings": {"username": "upn"},
        "jit": True,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(fields)
    return UpstreamProvider(**values)  # type: ignore[arg-type]


def state(state_hash: str = "h" * 64, expires_at: int = NOW + 60) -> FederationState:
    return FederationState(state_hash, "signin", "corp", b"payload", "b" * 64, NOW, expires_at)


def test_an_upstream_is_saved_read_and_removed_whole(runtime: Runtime) -> None:
    repo = runtime.store.upstreams
    repo.save(upstream())
    repo.save(upstream("other", jit=False))
    repo.save(upstream(display_name="Corp SSO", updated_at=NOW + 1))
    assert repo.get("corp") == upstream(display_name="Corp SSO", updated_at=NOW + 1)
    assert [u.alias for u in repo.list()] == ["corp", "other"]
    assert repo.delete("corp") is True
    assert repo.delete("corp") is False
    assert repo.get("corp") is None


def test_a_subject_is_linked_once_and_removing_the_upstream_unlinks_it(runtime: Runtime) -> None:
    alice, bob = make_user(runtime, "alice")["id"], make_user(runtime, "bob")["id"]
    runtime.store.upstreams.save(upstream())
    federation = runtime.store.federation
    assert federation.link(FederatedIdentity("corp", "sub-1", alice, NOW, NOW)) is True
    assert federation.link(FederatedIdentity("corp", "sub-1", bob, NOW, NOW)) is False
    with runtime.database.atomic():  # a refused link leaves the transaction usable
        assert federation.link(FederatedIdentity("corp", "sub-1", bob, NOW, NOW)) is False
        assert federation.link(FederatedIdentity("corp", "sub-2", bob, NOW, NOW)) is True
    federation.touch("corp", "sub-1", NOW + 5)
    found = federation.identity("corp", "sub-1")
    assert found is not None and (found.user_id, found.last_signed_in_at) == (alice, NOW + 5)
    assert [i.subject for i in federation.identities_of(bob)] == ["sub-2"]
    runtime.store.upstreams.delete("corp")
    assert federation.identity("corp", "sub-1") is None


def test_a_state_is_spent_once_and_not_after_it_expires(runtime: Runtime) -> None:
    federation = runtime.store.federation
    federation.create_state(state())
    assert federation.consume_state("h" * 64, "logout", NOW) is None  # another purpose
    spent = federation.consume_state("h" * 64, "signin", NOW)
    assert spent is not None and spent.payload == b"payload" and spent.used_at == NOW
    assert federation.consume_state("h" * 64, "signin", NOW) is None
    federation.create_state(state("e" * 64, expires_at=NOW))
    assert federation.consume_state("e" * 64, "signin", NOW) is None


def test_a_federated_session_is_remembered_until_it_expires(runtime: Runtime) -> None:
    federation = runtime.store.federation
    federation.record_session(FederatedSession("sid-1", "corp", b"token", NOW, NOW + 60))
    found = federation.session("sid-1", NOW)
    assert found is not None and found.id_token == b"token"
    assert federation.session("sid-1", NOW + 60) is None
    federation.forget_session("sid-1")
    assert federation.session("sid-1", NOW) is None


def test_another_tenant_sees_none_of_it(runtime: Runtime) -> None:
    runtime.store.upstreams.save(upstream())
    runtime.store.federation.create_state(state())
    with runtime.database.atomic() as conn:  # the tenants helper's command does this
        conn.execute(t.tenants.insert().values(id="other", tenant_id="other", created_at=NOW))
    other = SqlStore(runtime.database, "other")
    assert other.upstreams.get("corp") is None and other.upstreams.list() == []
    assert other.federation.consume_state("h" * 64, "signin", NOW) is None
    assert runtime.store.federation.consume_state("h" * 64, "signin", NOW) is not None
