"""What self-service needs from the outside world, and the rules every one of its forms
shares: the links, and the limits on how much email a form can make gatehouse send."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import Any
from urllib.parse import urlencode

from gatehouse.accounts.passwords import Passwords
from gatehouse.accounts.selfservice.mail import MailQueue
from gatehouse.crypto import random_token, sha256_digest
from gatehouse.storage.records import EmailToken, EmailTokenPurpose
from gatehouse.storage.repositories import (
    AuditRepository,
    SessionRepository,
    TenantPolicyRepository,
    UserRepository,
)
from gatehouse.storage.selfservice import EmailRequestRepository, EmailTokenRepository

# The limits on the forms that send email, counted in the database so they hold across
# workers and servers. Deliberately simple (a fixed window of an hour); the sign-in
# throttling's API is meant to take them over.
LIMIT_WINDOW = 3600
REQUESTS_PER_SOURCE = 20  # submissions from one client address per hour, whatever the email
EMAILS_PER_ADDRESS = 5  # messages to one address per hour, beyond which none is sent

PATHS: dict[EmailTokenPurpose, str] = {
    "verify_email": "/verify-email",
    "reset_password": "/password/reset",
}
# random_token(): 32 random bytes, base64url without padding (43 characters).
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")


class Limit(Enum):
    OK = "ok"  # send
    ADDRESS = "address"  # say the same as OK, send nothing: the address had enough mail
    SOURCE = "source"  # tell the person to wait: their address sent too many requests


class LinkState(Enum):
    """Why a link from an email cannot be used (or that it can)."""

    VALID = "valid"
    USED = "used"
    EXPIRED = "expired"
    INVALID = "invalid"


@dataclass
class SelfService:
    issuer: str
    users: UserRepository
    sessions: SessionRepository
    tokens: EmailTokenRepository
    requests: EmailRequestRepository
    mail: MailQueue
    audit: AuditRepository
    policy: TenantPolicyRepository
    passwords: Passwords
    # One transaction for a change, its link, its message and its audit event.
    transaction: Callable[[], AbstractContextManager[Any]]
    clock: Callable[[], int]

    def issue_link(
        self, purpose: EmailTokenPurpose, user_id: str, email: str, lifetime: timedelta, now: int
    ) -> str:
        """A new single-use link for ``purpose``; only the SHA-256 of its token is stored."""
        token = random_token()
        expires_at = now + int(lifetime.total_seconds())
        self.tokens.create(
            EmailToken(sha256_digest(token), purpose, user_id, email, now, expires_at)
        )
        return f"{self.issuer}{PATHS[purpose]}?{urlencode({'token': token})}"

    def link_state(self, purpose: EmailTokenPurpose, token: str | None) -> LinkState:
        """Whether the link's token may still be used (it is not consumed here)."""
        found = self.find_token(purpose, token)
        if found is None:
            return LinkState.INVALID
        return state_of(found, self.clock())

    def find_token(self, purpose: EmailTokenPurpose, token: str | None) -> EmailToken | None:
        if token is None or not _TOKEN.fullmatch(token):
            return None  # not one of ours: no need to ask the database
        return self.tokens.get(sha256_digest(token), purpose)

    def consume(self, purpose: EmailTokenPurpose, token: str, now: int) -> EmailToken | LinkState:
        """The token, used up by this call, or why it cannot be used."""
        found = self.find_token(purpose, token)
        if found is None:
            return LinkState.INVALID
        return self.tokens.consume(found.token_hash, purpose, now) or state_of(found, now)

    def within_limits(self, ip: str | None, email_normalized: str, now: int) -> Limit:
        """Count this submission, and whether its email may be sent."""
        since = now - LIMIT_WINDOW
        if ip is not None and self.requests.count_since(since, ip=ip) >= REQUESTS_PER_SOURCE:
            return Limit.SOURCE
        to_address = self.requests.count_since(since, email_normalized=email_normalized)
        self.requests.record(ip, email_normalized, now)
        return Limit.ADDRESS if to_address >= EMAILS_PER_ADDRESS else Limit.OK


def state_of(token: EmailToken, now: int) -> LinkState:
    if token.used_at is not None:
        return LinkState.USED
    if token.expires_at <= now:
        return LinkState.EXPIRED
    return LinkState.VALID
