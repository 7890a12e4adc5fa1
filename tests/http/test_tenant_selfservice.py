"""Self-service email of a tenant: its links lead to the tenant's pages, and the message names
the tenant's organisation (its display name), not gatehouse; the default tenant's email is as
it always was."""

from __future__ import annotations

from starlette.testclient import TestClient

from gatehouse.admin.tenants import update_tenant
from gatehouse.policy import TenantPolicy
from gatehouse.runtime import Runtime
from tests.conftest import ISSUER
from tests.http.selfservice import (
    deliver,
    only_message,
    settings,  # noqa: F401 - the fixture that sends email to the loopback server
    submit,
)
from tests.support.factories import make_user
from tests.support.smtp import Mailbox, html_of, link_in, text_of
from tests.support.tenants import server_app, tenant_client, tenant_runtimes


def _reset_mail_of(runtime: Runtime, http: TestClient, smtp: Mailbox) -> tuple[str, str, str]:
    """alice of ``runtime`` asks for a reset link: (link, text part, HTML part)."""
    runtime.store.policy.update(TenantPolicy(password_reset=True))
    make_user(runtime, "alice")
    page = submit(http, "/password/forgot", "/password/forgot", email="alice@example.com")
    assert page.status_code == 200, page.text
    assert deliver(runtime) == 1
    message = only_message(smtp, "alice@example.com")
    return link_in(message, "/password/reset"), text_of(message), html_of(message)


def test_a_tenant_s_email_names_its_organisation_and_links_to_its_pages(
    runtime: Runtime, smtp: Mailbox
) -> None:
    tenants = tenant_runtimes(runtime, "acme")
    update_tenant(runtime, "acme", ("display_name=Acme <Corp>",), ())
    acme = tenants.get("acme")
    assert acme is not None
    with tenant_client(server_app(tenants), "acme") as http:
        link, text, html = _reset_mail_of(acme, http, smtp)
    assert link.startswith(f"{ISSUER}/t/acme/password/reset?token=")
    assert f"This message was sent by Acme <Corp> ({ISSUER}/t/acme)." in text
    assert "Acme &lt;Corp&gt;" in html and "Acme <Corp>" not in html
    assert "gatehouse</p>" not in html


def test_the_default_tenant_s_email_is_as_before(
    runtime: Runtime, http: TestClient, smtp: Mailbox
) -> None:
    link, text, html = _reset_mail_of(runtime, http, smtp)
    assert link.startswith(f"{ISSUER}/password/reset?token=")
    assert f"This message was sent by {ISSUER}." in text
    assert "&#9670; gatehouse</p>" in html
