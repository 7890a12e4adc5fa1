"""Which tenants have work due in the back-channel logout and outgoing mail queues, on SQLite
and PostgreSQL: one read across every tenant (storage/sql/leased_queue.py), so a worker that
serves many tenants looks only into the queues that have work."""

from __future__ import annotations

from gatehouse.accounts.selfservice.mail import MailContent
from gatehouse.runtime import Runtime
from gatehouse.storage.records import SessionSelector
from tests.support.factories import make_client, make_user
from tests.support.tenants import tenant_runtimes
from tests.unit.storage.sql.test_repositories import NOW
from tests.unit.storage.sql.test_sign_outs import RP, session_with

CONTENT = MailContent("Subject", "plain text", "<p>html</p>")


def test_the_tenants_with_a_back_channel_logout_due(runtime: Runtime) -> None:
    tenants = tenant_runtimes(runtime, "acme", "beta")
    acme = tenants.get("acme")
    assert acme is not None
    alice = str(make_user(acme, "alice")["id"])
    make_client(acme, "rp", backchannel_logout_uri=RP)
    sid = session_with(acme, alice, "rp")
    acme.store.sessions.end_sessions(SessionSelector(sid=sid), NOW, "logout", "user")
    due = runtime.store.tenants.with_logouts_due
    assert (due(NOW - 1), due(NOW)) == ([], ["acme"])
    delivery = acme.store.logout_deliveries.claim_due(NOW, NOW + 60)
    assert delivery is not None
    assert due(NOW + 59) == []  # under a lease
    assert due(NOW + 60) == ["acme"]  # the lease ran out: due again
    assert acme.store.logout_deliveries.mark_delivered(delivery, NOW)
    assert due(NOW + 60) == []


def test_the_tenants_with_an_email_due(runtime: Runtime) -> None:
    tenants = tenant_runtimes(runtime, "acme", "beta")
    beta = tenants.get("beta")
    assert beta is not None
    beta.selfservice.mail.enqueue("bob@example.com", CONTENT, NOW)
    runtime.selfservice.mail.enqueue("carol@example.com", CONTENT, NOW + 10)
    due = runtime.store.tenants.with_mail_due
    assert (due(NOW - 1), due(NOW), due(NOW + 10)) == ([], ["beta"], ["beta", "default"])
