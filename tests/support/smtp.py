"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives: the self-service
tests send their email to it and read the links back."""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.postgres import free_port

HOST = "127.0.0.1"
SENDER = "gatehouse <no-reply@example.com>"
# A recipient the server refuses for good (a 5yz reply, RFC 5321 §4.2.1).
REFUSED = "nobody@refused.example.com"


@dataclass
class Mailbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    def settings(self) -> dict[str, Any]:
        """The GATEHOUSE_SMTP_* settings that send to this server."""
        return {
            "smtp_host": HOST,
            "smtp_port": self.port,
            "smtp_security": "none",
            "smtp_from": SENDER,
        }

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 30.0) -> EmailMessage:
        """The ``count``-th message to ``address``, waiting for a server to send it."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, f"no message {count} to {address}"
            time.sleep(0.05)
        return self.to(address)[count - 1]


class _Keeper:
    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address == REFUSED:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.mailbox.messages.append(message)
        return "250 Message accepted"


@contextmanager
def serve_mailbox() -> Iterator[Mailbox]:
    """An SMTP server on a free loopback port while the block runs."""
    mailbox = Mailbox(free_port())
    controller = Controller(_Keeper(mailbox), hostname=HOST, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    with serve_mailbox() as mailbox:
        yield mailbox


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(("html",))
    assert part is not None
    return str(part.get_content())


def link_in(message: EmailMessage, path: str) -> str:
    """The link to ``path`` in the message's text, the same as in its HTML part."""
    found = re.search(rf"https?://\S+{re.escape(path)}\?token=[A-Za-z0-9_-]+", text_of(message))
    assert found, text_of(message)
    assert found.group(0) in html_of(message)
    return found.group(0)
