"""Who acts on the account page, what a refused request says, and how a change is
recorded in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from gatehouse.protocol.provider import Provider
from gatehouse.storage.records import AuditEvent, SsoSession, User

Section = Literal["profile", "password", "sessions", "applications", "offline"]


@dataclass(frozen=True)
class AccountHolder:
    """The signed-in person: their user, this browser's SSO session and its cookie value,
    and their device's address (for the audit log)."""

    user: User
    session: SsoSession
    session_cookie: str
    ip: str | None


class AccountError(Exception):
    """A request the account page refuses; ``message`` is shown to the person beside the
    form of ``section``."""

    def __init__(self, section: Section, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.section = section
        self.message = message
        self.status = status


def record(provider: Provider, holder: AccountHolder, event_type: str, **fields: Any) -> None:
    """Record the person's own change; call it inside the ``provider.transaction()`` that
    makes the change, so both commit together."""
    provider.audit.record(
        AuditEvent(
            type=event_type,
            occurred_at=provider.clock(),
            actor="user",
            user_id=holder.user.id,
            ip=holder.ip,
            **fields,
        )
    )
