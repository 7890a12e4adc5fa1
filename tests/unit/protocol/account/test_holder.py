"""protocol/account/holder.py: a refusal's reason, section and status, and the audit event
of the person's own change."""

from __future__ import annotations

import pytest

from gatehouse.protocol.account.holder import AccountError, AccountHolder, Refusal, record
from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import AuditEvent
from tests.support.flow import FakeClock
from tests.unit.protocol.account.conftest import ADDRESS, events


@pytest.mark.parametrize(("status", "expected"), [(None, 400), (404, 404)])
def test_a_refusal_names_its_reason_its_section_and_its_status(
    status: int | None, expected: int
) -> None:
    error = (
        AccountError(Refusal.NO_SUCH_SESSION)
        if status is None
        else AccountError(Refusal.NO_SUCH_SESSION, status)
    )
    assert (error.refusal, error.section, error.status, str(error)) == (
        Refusal.NO_SUCH_SESSION,
        "sessions",
        expected,
        "no_such_session",
    )


@pytest.mark.parametrize("refusal", list(Refusal))
def test_every_refusal_belongs_to_a_section(refusal: Refusal) -> None:
    assert AccountError(refusal).section in (
        "profile",
        "password",
        "sessions",
        "applications",
        "offline",
    )


def test_a_change_is_recorded_as_the_persons_own_from_their_address(
    provider: Provider, clock: FakeClock, holder: AccountHolder
) -> None:
    clock.advance(7)
    with provider.transaction():
        record(provider, holder, "consent.revoked", client_id="web", details={"n": 1})
    (event,) = events(provider, "consent.revoked")
    assert event == AuditEvent(
        type="consent.revoked",
        occurred_at=clock.now,
        actor="user",
        user_id=holder.user.id,
        client_id="web",
        ip=ADDRESS,
        details={"n": 1},
        id=event.id,
    )


def test_a_change_that_fails_leaves_no_event(provider: Provider, holder: AccountHolder) -> None:
    with pytest.raises(RuntimeError), provider.transaction():
        record(provider, holder, "account.password_changed")
        raise RuntimeError("the change failed")
    assert events(provider, "account") == []
