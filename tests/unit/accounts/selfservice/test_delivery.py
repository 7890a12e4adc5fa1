"""The outgoing mail queue and its delivery over SMTP, on SQLite and PostgreSQL: one worker
per message, retries with growing delays after a failure, giving up on a permanent refusal
or after MAX_ATTEMPTS, and a one-time link used once however often it is presented."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gatehouse.accounts.selfservice.delivery import (
    FIRST_RETRY_DELAY,
    MAX_ATTEMPTS,
    MailDelivery,
    SmtpTransport,
    retry_delay,
)
from gatehouse.accounts.selfservice.mail import MailContent
from gatehouse.accounts.selfservice.service import LinkState
from gatehouse.runtime import Runtime, build_runtime
from gatehouse.settings import Settings
from gatehouse.storage.records import EmailToken
from gatehouse.storage.sql.store import SqlStore
from tests.conftest import test_settings as settings_for
from tests.support.flow import install_clock
from tests.support.postgres import free_port
from tests.support.smtp import REFUSED, Mailbox

CONTENT = MailContent("Subject", "plain text", "<p>html</p>")


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp: Mailbox) -> Settings:
    return settings_for(database_url, tmp_path, **smtp.settings())


def delivery(runtime: Runtime) -> MailDelivery:
    found = runtime.mail_delivery()
    assert found is not None
    return found


def test_a_queued_message_is_sent_once_as_text_and_html(runtime: Runtime, smtp: Mailbox) -> None:
    mail_id = runtime.selfservice.mail.enqueue("bob@example.com", CONTENT, runtime.provider.clock())
    assert delivery(runtime).deliver_due() == 1
    assert delivery(runtime).deliver_due() == 0
    [message] = smtp.messages
    assert message["To"] == "bob@example.com" and message["Subject"] == "Subject"
    assert message["Message-ID"].endswith("@example.com>") and message["Date"]
    assert message.get_body(("plain",)).get_content().strip() == "plain text"  # type: ignore[union-attr]
    sent = runtime.selfservice.mail.outbox.get(mail_id)
    assert sent is not None and sent.sent_at is not None and sent.content_encrypted is None


def test_a_message_is_claimed_by_one_worker(runtime: Runtime, settings: Settings) -> None:
    runtime.selfservice.mail.enqueue("bob@example.com", CONTENT, 1000)
    other = SqlStore(runtime.database)  # another server on the same database
    [first] = runtime.selfservice.mail.outbox.claim_due(1000, 60, 10)
    assert other.outbox.claim_due(1000, 60, 10) == []
    # A worker that died with its claim (or hung past it): the message is anyone's again
    # after the lease, and the first worker's outcome no longer counts.
    [again] = other.outbox.claim_due(1060, 60, 10)
    assert again.attempts == 2 and again.lease_id != first.lease_id
    assert not runtime.selfservice.mail.outbox.give_up(first, 1061, "late")
    assert not runtime.selfservice.mail.outbox.mark_sent(first, 1061)
    assert other.outbox.mark_sent(again, 1061)
    sent = other.outbox.get(again.id)
    assert sent is not None and sent.sent_at == 1061 and sent.failed_at is None
    assert sent.lease_id is None and sent.content_encrypted is None


def test_an_unreachable_server_is_tried_again_later_then_given_up(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    down = {"smtp_port": free_port(), "smtp_timeout": 2}
    runtime = build_runtime(
        settings_for(
            database_url,
            tmp_path,
            smtp_host="127.0.0.1",
            smtp_security="none",
            smtp_from="no-reply@example.com",
            **down,
        )
    )
    try:
        clock = install_clock(runtime)
        mail_id = runtime.selfservice.mail.enqueue("bob@example.com", CONTENT, clock())
        worker = delivery(runtime)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            assert worker.deliver_due() == 0
            mail = runtime.selfservice.mail.outbox.get(mail_id)
            assert mail is not None and mail.attempts == attempt
            assert mail.last_error is not None and "ConnectionRefusedError" in mail.last_error
            if attempt < MAX_ATTEMPTS:
                assert mail.next_attempt_at == clock() + retry_delay(attempt)
                assert worker.deliver_due() == 0  # not due yet
                clock.advance(retry_delay(attempt))
        assert mail.failed_at is not None and mail.content_encrypted is None
        assert "gave up sending mail" in caplog.text and "bob@example.com" not in caplog.text
    finally:
        runtime.close()


def test_a_permanent_refusal_is_not_retried(runtime: Runtime, smtp: Mailbox) -> None:
    mail_id = runtime.selfservice.mail.enqueue(REFUSED, CONTENT, runtime.provider.clock())
    assert delivery(runtime).deliver_due() == 0
    mail = runtime.selfservice.mail.outbox.get(mail_id)
    assert mail is not None and mail.failed_at is not None and mail.attempts == 1


def test_retry_delays_grow_and_are_bounded() -> None:
    assert [retry_delay(n) for n in (1, 2, 3)] == [FIRST_RETRY_DELAY * m for m in (1, 2, 4)]
    assert retry_delay(30) == 3600


def test_starttls_is_required_when_asked_for(settings: Settings, smtp: Mailbox) -> None:
    # The loopback test server offers no STARTTLS: a starttls setting must not fall back to
    # sending in the clear.
    plain = settings.with_overrides(smtp_security="starttls")
    runtime = build_runtime(plain)
    try:
        runtime.selfservice.mail.enqueue("bob@example.com", CONTENT, runtime.provider.clock())
        assert delivery(runtime).deliver_due() == 0
        assert smtp.messages == []
        assert isinstance(delivery(runtime).transport, SmtpTransport)
    finally:
        runtime.close()


def test_a_link_token_is_used_once_and_not_after_it_expires(runtime: Runtime) -> None:
    tokens = runtime.store.email_tokens
    tokens.create(EmailToken("h1", "verify_email", "u1", "a@example.com", 100, 200))
    tokens.create(EmailToken("h2", "reset_password", "u1", "a@example.com", 100, 200))
    assert tokens.consume("h1", "reset_password", 150) is None  # another purpose's link
    used = tokens.consume("h1", "verify_email", 150)
    assert used is not None and used.used_at == 150
    assert tokens.consume("h1", "verify_email", 151) is None
    assert tokens.consume("h2", "reset_password", 200) is None  # expired
    assert tokens.retire("u1", "reset_password", 201) == 1
    retired = tokens.get("h2", "reset_password")
    assert retired is not None and retired.used_at == 201


def test_the_link_states_a_person_is_told(runtime: Runtime) -> None:
    clock = install_clock(runtime)
    service = runtime.selfservice
    link = service.issue_link("verify_email", "u1", "a@example.com", timedelta(hours=1), clock())
    token = link.split("token=")[1]
    assert service.link_state("verify_email", token) is LinkState.VALID
    assert service.link_state("reset_password", token) is LinkState.INVALID
    clock.advance(3600)
    assert service.link_state("verify_email", token) is LinkState.EXPIRED
    assert service.consume("verify_email", token, clock()) is LinkState.EXPIRED


def test_the_purge_keeps_what_can_still_answer_and_drops_the_rest(runtime: Runtime) -> None:
    day = 24 * 3600
    tokens, requests = runtime.store.email_tokens, runtime.store.email_requests
    tokens.create(EmailToken("old", "verify_email", "u1", "a@example.com", 0, 1000))
    tokens.create(EmailToken("recent", "verify_email", "u1", "a@example.com", 0, 1000 + 7 * day))
    requests.record("127.0.0.1", "a@example.com", 1000)
    runtime.selfservice.mail.enqueue("a@example.com", CONTENT, 1000)
    deleted = runtime.purge(1001 + 7 * day)
    assert deleted["email_tokens"] == 1 and deleted["email_requests"] == 1
    assert deleted["outgoing_mail"] == 1  # never sent, and a week old
    assert tokens.get("recent", "verify_email") is not None
    assert tokens.get("old", "verify_email") is None
