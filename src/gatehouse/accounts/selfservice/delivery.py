"""Delivering the outgoing mail queue over SMTP, from a background thread (cli/server.py),
never from a request: a slow or unreachable SMTP server delays email, not pages.

Each round claims the messages that are due (one worker per message, across servers),
sends each with a bounded timeout per step, and marks it sent, or schedules another attempt
with a growing delay, or after ``MAX_ATTEMPTS`` gives up. Logs name the message id and the
failure, never the recipient, the content or its link.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol

from gatehouse.accounts.selfservice.mail import Envelope, MailQueue
from gatehouse.settings import Settings

log = logging.getLogger("gatehouse.mail")

MAX_ATTEMPTS = 8
FIRST_RETRY_DELAY = 60  # seconds; doubled after each failed attempt, up to MAX_RETRY_DELAY
MAX_RETRY_DELAY = 3600
CLAIM_SECONDS = 120  # a claimed message is another worker's again after this (a crash)
BATCH = 20
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}  # RFC 6409, RFC 8314, RFC 5321


class Transport(Protocol):
    def send(self, envelope: Envelope) -> None:
        """Hand the message to the mail server; raise ``smtplib.SMTPException`` or
        ``OSError`` if it was not accepted."""
        ...


class SmtpTransport:
    """smtplib over STARTTLS (RFC 3207), implicit TLS (RFC 8314) or, on loopback only
    (settings.py checks), plain SMTP."""

    def __init__(self, settings: Settings) -> None:
        if settings.smtp_host is None or settings.smtp_from is None:
            raise ValueError("SMTP is not configured")
        self._host = settings.smtp_host
        self._port = settings.smtp_port or DEFAULT_PORTS[settings.smtp_security]
        self._security = settings.smtp_security
        self._timeout = settings.smtp_timeout.total_seconds()
        self._sender = settings.smtp_from
        self._login = (
            (settings.smtp_username, settings.smtp_password.get_secret_value())
            if settings.smtp_username is not None and settings.smtp_password is not None
            else None
        )

    def message(self, envelope: Envelope) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = envelope.to
        message["Subject"] = envelope.content.subject
        message["Date"] = formatdate(localtime=False)
        domain = parseaddr(self._sender)[1].rpartition("@")[2] or None
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(envelope.content.text)
        message.add_alternative(envelope.content.html, subtype="html")
        return message

    def send(self, envelope: Envelope) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self._security == "tls":
            smtp = smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        with smtp:
            if self._security == "starttls":
                smtp.starttls(context=context)  # SMTPNotSupportedError if not offered
            if self._login is not None:
                smtp.login(*self._login)
            smtp.send_message(self.message(envelope))


def _is_permanent(error: Exception) -> bool:
    """RFC 5321 §4.2.1: a 5yz reply will not succeed if repeated."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    code = getattr(error, "smtp_code", None)
    return isinstance(code, int) and 500 <= code < 600


def retry_delay(attempts: int) -> int:
    return int(min(FIRST_RETRY_DELAY * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY))


class MailDelivery:
    def __init__(self, queue: MailQueue, transport: Transport, clock: Callable[[], int]) -> None:
        self.queue = queue
        self.transport = transport
        self.clock = clock

    def deliver_due(self) -> int:
        """One round: send what is due; how many messages were accepted."""
        sent = 0
        outbox = self.queue.outbox
        for mail in outbox.claim_due(self.clock(), CLAIM_SECONDS, BATCH):
            envelope = self.queue.open(mail)
            if envelope is None:
                continue
            try:
                self.transport.send(envelope)
            except (smtplib.SMTPException, OSError) as error:
                reason = f"{type(error).__name__}: {getattr(error, 'smtp_code', '')}".strip(": ")
                now = self.clock()
                if _is_permanent(error) or mail.attempts >= MAX_ATTEMPTS:
                    log.warning(
                        "gave up sending mail %s after %d attempt(s): %s",
                        mail.id,
                        mail.attempts,
                        reason,
                    )
                    outbox.give_up(mail, now, reason)
                else:
                    log.info("sending mail %s failed (%s); trying again later", mail.id, reason)
                    outbox.retry_later(mail, now + retry_delay(mail.attempts), reason)
                continue
            if not outbox.mark_sent(mail, self.clock()):
                # Its lease ran out mid-send and another worker took it over: that worker's
                # outcome stands (the message may go twice; never is it lost).
                log.warning("mail %s was sent after its claim had expired", mail.id)
            log.debug("sent mail %s", mail.id)
            sent += 1
        return sent
