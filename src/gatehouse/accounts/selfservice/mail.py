"""The messages self-service sends, and the queue they wait in.

The web layer renders a message (``MailComposer``, templates in web/templates/email/); the
core enqueues it in the same transaction as the change it tells of, so a link is never sent
for a change that was rolled back, nor a change made without its message. The queue's rows
hold the recipient and content encrypted under a key derived from GATEHOUSE_SECRET_KEY: a
message holds a live link, and a copy of the database must not be a way into accounts.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, Protocol

from gatehouse.keys.encryption import KeyEncryptor
from gatehouse.storage.records import OutgoingMail
from gatehouse.storage.selfservice import OutboxRepository

MailKind = Literal["verify_email", "registration_attempt", "reset_password", "password_changed"]
MAIL_ENCRYPTION = b"gatehouse outgoing-mail encryption v1"


TimeUnit = Literal["day", "hour", "minute"]


@dataclass(frozen=True)
class Duration:
    """How long a link works, in its largest whole unit (24 hours are 1 day; 90 minutes stay
    90 minutes): emails and pages say it in the person's language, with the plural that
    language uses (web/templates/_duration.html)."""

    count: int
    unit: TimeUnit


def in_whole_units(lifetime: timedelta) -> Duration:
    seconds = int(lifetime.total_seconds())
    units: tuple[tuple[TimeUnit, int], ...] = (("day", 86400), ("hour", 3600), ("minute", 60))
    for unit, size in units:
        if seconds >= size and seconds % size == 0:
            return Duration(seconds // size, unit)
    return Duration(seconds // 60, "minute")


# What a message is made of: the link, the username, the issuer, how long the link works.
MailValues = Mapping[str, str | Duration]


@dataclass(frozen=True)
class MailContent:
    subject: str
    text: str
    html: str


class MailComposer(Protocol):
    def __call__(self, kind: MailKind, values: MailValues) -> MailContent:
        """The message of ``kind`` with ``values`` (link, username, issuer, ...) filled in, in
        the language of the person whose request makes it."""
        ...


@dataclass(frozen=True)
class Envelope:
    """A message and its recipient, as the delivery worker sends it."""

    mail_id: str
    to: str
    content: MailContent


class MailQueue:
    def __init__(self, outbox: OutboxRepository, encryptor: KeyEncryptor) -> None:
        self.outbox = outbox
        self._encryptor = encryptor

    def enqueue(self, to: str, content: MailContent, now: int) -> str:
        """Queue a message for delivery as soon as possible; its id."""
        mail_id = str(uuid.uuid4())
        plain = {"to": to, "subject": content.subject, "text": content.text, "html": content.html}
        sealed = self._encryptor.encrypt(json.dumps(plain).encode(), kid=_aad(mail_id))
        self.outbox.enqueue(
            OutgoingMail(id=mail_id, content_encrypted=sealed, created_at=now, next_attempt_at=now)
        )
        return mail_id

    def open(self, mail: OutgoingMail) -> Envelope | None:
        """The message of a queued row, or None once its content is gone (sent, given up)."""
        if mail.content_encrypted is None:
            return None
        plain = json.loads(self._encryptor.decrypt(mail.content_encrypted, kid=_aad(mail.id)))
        content = MailContent(plain["subject"], plain["text"], plain["html"])
        return Envelope(mail.id, plain["to"], content)


def _aad(mail_id: str) -> str:
    # Bound as associated data: a sealed message cannot be moved to another row.
    return f"mail:{mail_id}"
