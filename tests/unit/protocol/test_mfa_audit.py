"""protocol/mfa_audit.py: a second factor's audit event names the person (id and username),
the application, the address and the details given, and commits or rolls back with the
change it records."""

from __future__ import annotations

import pytest

from gatehouse.protocol.mfa_audit import record_event
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import AuditEvent, AuditQuery, User
from tests.support.flow import FakeClock


def mfa_events(provider: Provider) -> list[AuditEvent]:
    return provider.audit.list(AuditQuery(types=("mfa",)))


@pytest.mark.parametrize(
    ("event_type", "client_id", "ip", "details"),
    [
        ("mfa.succeeded", "web", "203.0.113.7", {"method": "totp"}),
        ("mfa.failed", "web", None, {"method": "recovery_code"}),
        ("mfa.enrolled", None, "2001:db8::1", {"method": "totp"}),
        ("mfa.recovery_code_used", "web", "203.0.113.7", {"codes_left": 9}),
    ],
)
def test_the_event_names_the_person_the_application_and_the_address(
    provider: Provider,
    clock: FakeClock,
    alice: User,
    event_type: str,
    client_id: str | None,
    ip: str | None,
    details: dict[str, object],
) -> None:
    with provider.transaction():
        record_event(provider, event_type, alice, client_id, ip, clock.now - 3, details)
    (event,) = mfa_events(provider)
    assert event.id is not None
    assert event == AuditEvent(
        type=event_type,
        occurred_at=clock.now - 3,  # the time given, not the clock's
        actor="user",
        user_id=alice.id,
        username="alice",
        client_id=client_id,
        ip=ip,
        details=details,
        id=event.id,
    )


def test_the_event_rolls_back_with_the_change_it_records(
    provider: Provider, clock: FakeClock, alice: User
) -> None:
    with pytest.raises(RuntimeError, match="the change failed"), provider.transaction():
        record_event(provider, "mfa.removed", alice, None, None, clock.now, {"method": "totp"})
        raise RuntimeError("the change failed")
    assert mfa_events(provider) == []


def test_an_event_type_the_log_does_not_know_is_refused(
    provider: Provider, clock: FakeClock, alice: User
) -> None:
    with pytest.raises(ValueError, match=r"unknown audit event type 'mfa\.guessed'"):
        record_event(provider, "mfa.guessed", alice, "web", None, clock.now, {})
    assert mfa_events(provider) == []
