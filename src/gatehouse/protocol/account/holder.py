"""Who acts on the account page, why a request is refused, and how a change is recorded in
the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from gatehouse.accounts.passwords import PasswordProblem
from gatehouse.accounts.profile import ProfileError
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


class Refusal(StrEnum):
    """Why the account page refuses a request. The page words it in the person's language
    (web/account_text.py), beside the form of its section."""

    PROFILE_RULE = "profile_rule"  # AccountError.profile says which claim and rule
    WRONG_PASSWORD = "wrong_password"
    CONFIRMATION_DIFFERS = "confirmation_differs"
    WEAK_PASSWORD = "weak_password"  # AccountError.password says which rule
    NO_SUCH_SESSION = "no_such_session"
    NO_APPLICATION_ACCESS = "no_application_access"
    ORGANISATION_CONSENT = "organisation_consent"  # only an administrator withdraws it
    NO_OFFLINE_ACCESS = "no_offline_access"


_SECTION: dict[Refusal, Section] = {
    Refusal.PROFILE_RULE: "profile",
    Refusal.WRONG_PASSWORD: "password",
    Refusal.CONFIRMATION_DIFFERS: "password",
    Refusal.WEAK_PASSWORD: "password",
    Refusal.NO_SUCH_SESSION: "sessions",
    Refusal.NO_APPLICATION_ACCESS: "applications",
    Refusal.ORGANISATION_CONSENT: "applications",
    Refusal.NO_OFFLINE_ACCESS: "offline",
}


class AccountError(Exception):
    """A request the account page refuses, with the HTTP status of the page that says so;
    a broken profile or password rule comes with the rule."""

    def __init__(
        self,
        refusal: Refusal,
        status: int = 400,
        *,
        profile: ProfileError | None = None,
        password: PasswordProblem | None = None,
    ) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal
        self.status = status
        self.profile = profile
        self.password = password

    @property
    def section(self) -> Section:
        """The part of the page whose form was refused: the reason is shown there."""
        return _SECTION[self.refusal]


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
