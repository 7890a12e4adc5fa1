"""The audit log and the tenant policy in storage, on SQLite and PostgreSQL: events commit or
roll back with the change they record, filters, paging, retention."""

from __future__ import annotations

from datetime import timedelta

import pytest

from gatehouse.policy import TenantPolicy
from gatehouse.runtime import Runtime
from gatehouse.storage.records import AuditEvent, AuditQuery
from gatehouse.storage.sql.purge import purge_expired

NOW = 1_800_000_000
DAY = 86400


def event(type_: str = "signin.failed", at: int = NOW, **fields: object) -> AuditEvent:
    fields.setdefault("actor", "user")
    return AuditEvent(type=type_, occurred_at=at, **fields)  # type: ignore[arg-type]


def test_events_come_back_newest_first_with_every_field(runtime: Runtime) -> None:
    audit = runtime.store.audit
    audit.record(
        event(
            "signin.failed",
            NOW - 5,
            username="alice",
            ip="203.0.113.7",
            details={"reason": "wrong_password"},
        )
    )
    audit.record(
        event("signin.succeeded", NOW, user_id="u1", client_id="web", details={"methods": ["pwd"]})
    )
    newest, oldest = audit.list(AuditQuery())
    assert (newest.type, oldest.type) == ("signin.succeeded", "signin.failed")
    assert newest.id is not None and oldest.id is not None and newest.id > oldest.id
    assert oldest.username == "alice" and oldest.ip == "203.0.113.7"
    assert oldest.details == {"reason": "wrong_password"}
    assert newest.user_id == "u1" and newest.client_id == "web" and newest.actor == "user"


def test_filters_all_hold_and_types_match_whole_families(runtime: Runtime) -> None:
    audit = runtime.store.audit
    audit.record(event("signin.failed", NOW - 3 * DAY, user_id="u1"))
    audit.record(event("signin.succeeded", NOW - DAY, user_id="u1", client_id="web"))
    audit.record(event("consent.granted", NOW - DAY, user_id="u1", client_id="web"))
    audit.record(event("signin.succeeded", NOW, user_id="u2", client_id="other"))

    def types(**query: object) -> list[str]:
        return [e.type for e in audit.list(AuditQuery(**query))]  # type: ignore[arg-type]

    assert types(user_id="u1") == ["consent.granted", "signin.succeeded", "signin.failed"]
    assert types(client_id="web", types=("signin",)) == ["signin.succeeded"]
    assert types(types=("signin.failed", "consent")) == ["consent.granted", "signin.failed"]
    assert types(since=NOW - 2 * DAY, until=NOW) == ["consent.granted", "signin.succeeded"]
    # "sign" is not a family: a prefix must end at a dot.
    assert types(types=("sign",)) == []


def test_paging_goes_back_from_the_last_id(runtime: Runtime) -> None:
    for i in range(5):
        runtime.store.audit.record(event(at=NOW + i, username=f"n{i}"))
    first = runtime.store.audit.list(AuditQuery(limit=2))
    rest = runtime.store.audit.list(AuditQuery(limit=10, before_id=first[-1].id))
    assert [e.username for e in first + rest] == ["n4", "n3", "n2", "n1", "n0"]


def test_an_event_rolls_back_with_the_change_it_records(runtime: Runtime) -> None:
    """Recorded inside Store.atomic(): when the change fails, the record goes too."""
    with pytest.raises(RuntimeError), runtime.store.atomic():
        runtime.store.policy.update(TenantPolicy(lockout_duration=timedelta(minutes=5)))
        runtime.store.audit.record(event("admin.policy.updated", actor="operator"))
        raise RuntimeError("the change failed")
    assert runtime.store.audit.list(AuditQuery()) == []
    assert runtime.store.policy.get() == TenantPolicy()


def test_an_unknown_event_type_is_refused_before_storage() -> None:
    with pytest.raises(ValueError, match="unknown audit event type"):
        event("signin.guessed")


def test_the_purge_keeps_events_for_the_retention_and_for_ever_with_zero(runtime: Runtime) -> None:
    audit = runtime.store.audit
    audit.record(event(at=NOW - 100 * DAY, username="old"))
    audit.record(event(at=NOW - 10 * DAY, username="recent"))
    assert purge_expired(runtime.database, NOW, 1800).get("audit_events", 0) == 0
    assert len(audit.list(AuditQuery())) == 2
    deleted = purge_expired(runtime.database, NOW, 1800, audit_retention=30 * DAY)
    assert deleted["audit_events"] == 1
    assert [e.username for e in audit.list(AuditQuery())] == ["recent"]


def test_the_policy_keeps_only_what_differs_and_is_seen_by_another_process(
    runtime: Runtime,
) -> None:
    assert runtime.store.policy.get() == TenantPolicy()
    changed = TenantPolicy(source_lockout_threshold=20, lockout_duration=timedelta(hours=1))
    runtime.store.policy.update(changed)
    assert runtime.store.policy.get() == changed
    from gatehouse.storage.sql.store import SqlStore

    other_process = SqlStore(runtime.database)
    assert other_process.policy.get() == changed


def test_a_login_of_any_length_is_recorded_cut_to_the_longest_login(runtime: Runtime) -> None:
    """The login field takes anything; the audit log keeps its first 320 characters rather
    than failing the sign-in it records (on PostgreSQL a longer value overflows the column)."""
    runtime.store.audit.record(event(username="x" * 5000))
    (stored,) = runtime.store.audit.list(AuditQuery())
    assert stored.username == "x" * 320
